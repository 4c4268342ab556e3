package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestAsThroughWrapping(t *testing.T) {
	cause := errors.New("sql: UNIQUE constraint failed: users.user_name_key")
	f := Conflictf("UNIQUENESS_CONSTRAINT_VIOLATION", "Duplicate UserName")
	f.Err = cause
	wrapped := fmt.Errorf("create user u-1: %w", f)

	got, ok := As(wrapped)
	if !ok || got.Kind != Conflict || got.Reason != "UNIQUENESS_CONSTRAINT_VIOLATION" {
		t.Fatalf("As(wrapped) = %+v, %v", got, ok)
	}
	if got.Message != "Duplicate UserName" {
		t.Errorf("caller-safe message = %q, must not include the cause", got.Message)
	}
	if !errors.Is(wrapped, cause) {
		t.Error("cause is not reachable through Unwrap")
	}
	if KindOf(errors.New("plain")) != Internal {
		t.Error("a plain error must count as Internal")
	}
	if !Is(wrapped, Conflict) || Is(wrapped, NotFound) {
		t.Error("Is gives the wrong answer")
	}
}

func TestKindString(t *testing.T) {
	if NotFound.String() != "not found" || Kind(99).String() != "kind(99)" {
		t.Errorf("unexpected names %q %q", NotFound, Kind(99))
	}
}
