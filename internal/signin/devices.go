package signin

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Device is an MFA device as users and administrators see it.
type Device struct {
	ID         string
	Kind       string
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Devices lists a user's MFA devices.
func (s *Service) Devices(ctx context.Context, userID string) ([]Device, error) {
	if _, err := s.cfg.Store.GetUser(ctx, userID); errors.Is(err, store.ErrNotFound) {
		return nil, userNotFound(userID)
	} else if err != nil {
		return nil, err
	}
	list, err := s.cfg.Store.ListMFADevices(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(list))
	for _, d := range list {
		out = append(out, Device{ID: d.ID, Kind: d.Kind, Name: d.Name, CreatedAt: d.CreatedAt, LastUsedAt: d.LastUsedAt})
	}
	return out, nil
}

// ErrReauth asks the user to sign in again before changing devices.
var ErrReauth = &fault.Error{Kind: fault.Denied, Message: "For your security, sign in again before changing your MFA devices.", Reason: "REAUTHENTICATE"}

// errSelfService is returned when users may not manage their devices.
var errSelfService = fault.Deniedf("Your administrator manages your MFA devices.")

// checkSelfService allows a device change by the user only when the
// settings allow it and the sign-in is recent.
func (s *Service) checkSelfService(ctx context.Context, sess Session) error {
	settings, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	if !settings.UsersManageDevices {
		return errSelfService
	}
	if s.now().Sub(sess.AuthTime) > RecentAuth {
		return ErrReauth
	}
	return nil
}

// RenameDevice renames one of the session user's devices.
func (s *Service) RenameDevice(ctx context.Context, sess Session, id, name string) error {
	name, err := cleanDeviceName(name, "")
	if err != nil {
		return err
	}
	if name == "" {
		return fault.Invalidf("Enter a name for the device.")
	}
	return s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		d, err := tx.GetMFADevice(ctx, id)
		if err != nil || d.UserID != sess.User.ID {
			return fault.NotFoundf("MFA_DEVICE", id, "The device does not exist.")
		}
		if err := tx.RenameMFADevice(ctx, id, name); err != nil {
			return err
		}
		ev := outcome(s.signinEvent(ctx, "RenameMfaDevice", "", "", &sess.User, sess.User.UserName), "Success", "")
		ev.AdditionalEventData["MfaDeviceId"] = id
		return appendEvents(ctx, tx, ev)
	})
}

// RemoveDevice removes one of the session user's devices. It needs a
// recent sign-in; the user is told by email. Removing the last device is
// allowed only when the settings let users without a device sign in
// without registering one at the next sign-in anyway (the next sign-in asks
// for a new device otherwise, which is the safe outcome).
func (s *Service) RemoveDevice(ctx context.Context, sess Session, id string) error {
	if err := s.checkSelfService(ctx, sess); err != nil {
		return err
	}
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		d, err := tx.GetMFADevice(ctx, id)
		if err != nil || d.UserID != sess.User.ID {
			return fault.NotFoundf("MFA_DEVICE", id, "The device does not exist.")
		}
		return s.removeDevice(ctx, tx, sess.User, d, "RemoveMfaDevice")
	})
	if err == nil {
		s.cfg.MailSent()
	}
	return err
}

func (s *Service) removeDevice(ctx context.Context, tx store.Tx, user store.User, d store.MFADevice, event string) error {
	if err := tx.DeleteMFADevice(ctx, d.ID); err != nil {
		return err
	}
	// Trust earned with the removed device goes with it.
	if err := tx.DeleteTrustedDevicesOfUser(ctx, user.ID); err != nil {
		return err
	}
	if err := s.notify(ctx, tx, user, "A sign-in device was removed from your account",
		"the device \""+d.Name+"\" ("+kindLabel(d.Kind)+") was removed from your "+s.cfg.Issuer+" account.\n\n"+
			"If this was not you, contact your administrator at once.\n"); err != nil {
		return err
	}
	ev := outcome(s.signinEvent(ctx, event, "", "", &user, user.UserName), "Success", "")
	ev.AdditionalEventData["MfaDeviceId"] = d.ID
	return stage(ctx, tx, map[string]any{"mfaDeviceId": d.ID}, ev)
}

// AdminRemoveDevice removes a user's device (an administrator resetting a
// lost phone or key).
func (s *Service) AdminRemoveDevice(ctx context.Context, userID, id string) error {
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		user, err := tx.GetUser(ctx, userID)
		if errors.Is(err, store.ErrNotFound) {
			return userNotFound(userID)
		} else if err != nil {
			return err
		}
		d, err := tx.GetMFADevice(ctx, id)
		if err != nil || d.UserID != userID {
			return fault.NotFoundf("MFA_DEVICE", id, "The device does not exist.")
		}
		return s.removeDevice(ctx, tx, user, d, "DeleteMfaDevice")
	})
	if err == nil {
		s.cfg.MailSent()
	}
	return err
}

// StartEnrollment lets a signed-in user add a device: it returns a flow
// cookie at the registration step, tied to the user.
func (s *Service) StartEnrollment(ctx context.Context, sess Session) (Next, error) {
	if err := s.checkSelfService(ctx, sess); err != nil {
		return Next{}, err
	}
	var token string
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) (err error) {
		devices, err := tx.ListMFADevices(ctx, sess.User.ID)
		if err != nil {
			return err
		}
		if len(devices) >= MaxTOTPDevices+MaxWebAuthnDevices {
			return &fault.Error{Kind: fault.QuotaExceeded, Message: "You have the most devices allowed. Remove one first."}
		}
		token, err = s.putFlow(ctx, tx, nil, sess.User.ID, newID(""), StepRegisterMFA,
			flowState{UserName: sess.User.UserName, Purpose: purposeAddDevice, SessionID: sess.ID})
		return err
	})
	return Next{Step: StepRegisterMFA, FlowToken: token}, err
}
