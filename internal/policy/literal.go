package policy

import (
	"strings"
	"time"
)

// decimal is an exact decimal number. Comparing digit strings instead of
// float64 values keeps NumericEquals exact for integers beyond 2^53 (account
// IDs, epoch milliseconds) and for decimal fractions like 0.1.
type decimal struct {
	neg  bool
	intg string // integer digits without leading zeros
	frac string // fraction digits without trailing zeros
}

// maxDecimalLen bounds numeric literals; no real condition needs more.
const maxDecimalLen = 128

// parseDecimal accepts an optional sign, digits and an optional fraction
// ("12", "-3.5", ".5", "7."). It does not allocate.
func parseDecimal(s string) (decimal, bool) {
	if s == "" || len(s) > maxDecimalLen {
		return decimal{}, false
	}
	var d decimal
	switch s[0] {
	case '-':
		d.neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intg, frac, _ := strings.Cut(s, ".")
	if !allDigits(intg) || !allDigits(frac) || (intg == "" && frac == "") {
		return decimal{}, false
	}
	d.intg = strings.TrimLeft(intg, "0")
	d.frac = strings.TrimRight(frac, "0")
	if d.intg == "" && d.frac == "" {
		d.neg = false // -0 == 0
	}
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cmp returns -1, 0 or 1 as d is less than, equal to or greater than e.
func (d decimal) cmp(e decimal) int {
	if d.neg != e.neg {
		if d.neg {
			return -1
		}
		return 1
	}
	m := d.cmpMagnitude(e)
	if d.neg {
		return -m
	}
	return m
}

func (d decimal) cmpMagnitude(e decimal) int {
	if len(d.intg) != len(e.intg) {
		if len(d.intg) < len(e.intg) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(d.intg, e.intg); c != 0 {
		return c
	}
	// Without trailing zeros, fraction digit strings order lexicographically.
	return strings.Compare(d.frac, e.frac)
}

// parseDate accepts the forms the User Guide allows for date conditions:
// epoch seconds (all digits), or a W3C profile of ISO 8601: YYYY-MM,
// YYYY-MM-DD, YYYY-MM-DDThh:mm, YYYY-MM-DDThh:mm:ss and
// YYYY-MM-DDThh:mm:ss.s+ (or ,s+), each time optionally followed by "Z" or ±hh:mm
// (a missing zone means UTC). The result is Unix seconds: fractions are
// dropped, so comparisons are to the second. An all-digit value is epoch
// seconds, never the W3C year-only form. It does not allocate.
func parseDate(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if allDigits(s) || (s[0] == '-' && len(s) > 1 && allDigits(s[1:])) {
		if len(s) > 15 { // beyond year 30,000,000: not a date
			return 0, false
		}
		var n int64
		neg := s[0] == '-'
		digits := s
		if neg {
			digits = s[1:]
		}
		for i := 0; i < len(digits); i++ {
			n = n*10 + int64(digits[i]-'0')
		}
		if neg {
			n = -n
		}
		return n, true
	}
	year, ok := fixedInt(s, 0, 4)
	if !ok || len(s) < 7 || s[4] != '-' {
		return 0, false
	}
	month, ok := fixedInt(s, 5, 2)
	if !ok || month < 1 || month > 12 {
		return 0, false
	}
	day := 1
	rest := s[7:]
	if rest != "" {
		if rest[0] != '-' || len(rest) < 3 {
			return 0, false
		}
		day, ok = fixedInt(rest, 1, 2)
		if !ok || day < 1 {
			return 0, false
		}
		rest = rest[3:]
	}
	var hour, min, sec int
	var offset int
	if rest != "" {
		if rest[0] != 'T' && rest[0] != 't' {
			return 0, false
		}
		rest = rest[1:]
		if len(rest) < 5 || rest[2] != ':' {
			return 0, false
		}
		if hour, ok = fixedInt(rest, 0, 2); !ok || hour > 23 {
			return 0, false
		}
		if min, ok = fixedInt(rest, 3, 2); !ok || min > 59 {
			return 0, false
		}
		rest = rest[5:]
		if len(rest) >= 3 && rest[0] == ':' {
			if sec, ok = fixedInt(rest, 1, 2); !ok || sec > 59 {
				return 0, false
			}
			rest = rest[3:]
			// ISO 8601 allows a comma as the decimal sign, and so does time.Parse.
			if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
				n := 1
				for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
					n++
				}
				if n == 1 {
					return 0, false
				}
				rest = rest[n:]
			}
		}
		switch {
		case rest == "" || rest == "Z" || rest == "z":
		case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
			oh, ok1 := fixedInt(rest, 1, 2)
			om, ok2 := fixedInt(rest, 4, 2)
			if !ok1 || !ok2 || oh > 23 || om > 59 {
				return 0, false
			}
			offset = (oh*60 + om) * 60
			if rest[0] == '-' {
				offset = -offset
			}
		default:
			return 0, false
		}
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC)
	if t.Day() != day { // e.g. February 30th
		return 0, false
	}
	return t.Unix() - int64(offset), true
}

// fixedInt parses s[at:at+n] as exactly n decimal digits.
func fixedInt(s string, at, n int) (int, bool) {
	if at+n > len(s) {
		return 0, false
	}
	v := 0
	for i := at; i < at+n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
