package org

import "context"

// CountAccounts returns how many accounts the organization has.
func (s *Service) CountAccounts(ctx context.Context) (int, error) { return s.store.CountAccounts(ctx) }
