package password

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/gatehouse/gatehouse/internal/fault"
)

// Policy names.
const (
	// Standard follows NIST SP 800-63B: at least 8 characters, up to
	// MaxLength, no composition rules, and no common or guessable password.
	Standard = "standard"
	// AWS follows IAM Identity Center's built-in directory: 8 to 64
	// characters with an upper-case letter, a lower-case letter, a digit and
	// a symbol, and none of the last 3 passwords.
	AWS = "aws"
)

// HistoryDepth is how many earlier passwords the AWS policy bars.
const HistoryDepth = 3

// Policy is a password policy.
type Policy struct {
	Name string
}

// ParsePolicy returns the named policy.
func ParsePolicy(name string) (Policy, error) {
	switch name {
	case "", Standard:
		return Policy{Name: Standard}, nil
	case AWS:
		return Policy{Name: AWS}, nil
	}
	return Policy{}, fmt.Errorf("password policy %q: want %q or %q", name, Standard, AWS)
}

// Subject is what a password must not be built from.
type Subject struct {
	UserName string
	Email    string
}

// Check returns an Invalid fault whose message says, in plain words, every
// rule the password breaks; nil when it is acceptable. (Reuse of earlier
// passwords needs their hashes and is checked by the caller.)
func (p Policy) Check(pw string, who Subject) error {
	if len(pw) > MaxBytes {
		return ErrTooLong
	}
	pw = Normalize(pw)
	n := utf8.RuneCountInString(pw)
	var problems []string
	maxLen := MaxLength
	if p.Name == AWS {
		maxLen = 64
	}
	switch {
	case n < 8:
		problems = append(problems, "use at least 8 characters")
	case n > maxLen:
		problems = append(problems, fmt.Sprintf("use at most %d characters", maxLen))
	}
	if p.Name == AWS {
		var upper, lower, digit, symbol bool
		for _, r := range pw {
			switch {
			case unicode.IsUpper(r):
				upper = true
			case unicode.IsLower(r):
				lower = true
			case unicode.IsDigit(r):
				digit = true
			case unicode.IsPunct(r) || unicode.IsSymbol(r) || r == ' ':
				symbol = true
			}
		}
		var missing []string
		if !upper {
			missing = append(missing, "an upper-case letter")
		}
		if !lower {
			missing = append(missing, "a lower-case letter")
		}
		if !digit {
			missing = append(missing, "a number")
		}
		if !symbol {
			missing = append(missing, "a symbol")
		}
		if len(missing) > 0 {
			problems = append(problems, "include "+joinAnd(missing))
		}
	}
	if n >= 8 && Guessable(pw, who) {
		problems = append(problems, "choose a password that is not common, a simple pattern, or your user name or email")
	}
	if len(problems) == 0 {
		return nil
	}
	msg := problems[0]
	if len(problems) > 1 {
		msg = strings.Join(problems[:len(problems)-1], "; ") + "; and " + problems[len(problems)-1]
	}
	return fault.Invalidf("This password cannot be used: %s.", msg)
}

func joinAnd(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

//go:embed common.txt
var commonText string

// common holds the case-folded common passwords.
var common = func() map[string]struct{} {
	m := map[string]struct{}{}
	sc := bufio.NewScanner(strings.NewReader(commonText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = struct{}{}
	}
	return m
}()

var fold = cases.Fold()

// Guessable reports whether pw is a common password, a simple pattern
// (one repeated character or short unit, a run of the keyboard or the
// alphabet, a common word with digits or symbols around it) or made of the
// user's own name or email.
func Guessable(pw string, who Subject) bool {
	f := fold.String(Normalize(pw))
	if _, ok := common[f]; ok {
		return true
	}
	// A common word padded with digits and symbols ("Password123!").
	core := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
	if _, ok := common[core]; ok && core != "" {
		return true
	}
	if repeated(f) || sequential(f) {
		return true
	}
	for _, s := range []string{who.UserName, localPart(who.Email), who.Email} {
		s = fold.String(Normalize(s))
		if utf8.RuneCountInString(s) >= 4 && (strings.Contains(f, s) || f == s) {
			return true
		}
	}
	return false
}

func localPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

// repeated reports a password made of one unit of up to 4 characters
// repeated ("aaaaaaaa", "abcabcabc", "1212121212").
func repeated(s string) bool {
	r := []rune(s)
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		if len(r)%unit != 0 && len(r) < 3*unit {
			continue
		}
		ok := true
		for i := unit; i < len(r); i++ {
			if r[i] != r[i%unit] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// sequences are runs a person types without thinking.
var sequences = []string{
	"abcdefghijklmnopqrstuvwxyz",
	"01234567890",
	"qwertyuiopasdfghjklzxcvbnm",
	"qwertzuiopasdfghjklyxcvbnm",
	"azertyuiopqsdfghjklmwxcvbn",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"zaq1xsw2cde3vfr4bgt5nhy6mju7",
	"!@#$%^&*()",
}

// sequential reports a password that is a run (forwards or backwards) of
// one of the sequences.
func sequential(s string) bool {
	rev := reverse(s)
	for _, seq := range sequences {
		if strings.Contains(seq, s) || strings.Contains(seq, rev) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
