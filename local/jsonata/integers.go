package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Integer pictures, as XPath's fn:format-integer defines them, for
// $formatInteger, $parseInteger and the components of date/time pictures.

type intKind int

const (
	ikDecimal intKind = iota
	ikAlphaUpper
	ikAlphaLower
	ikRomanUpper
	ikRomanLower
	ikWordsUpper
	ikWordsLower
	ikWordsTitle
)

type intFormat struct {
	kind      intKind
	ordinal   bool
	zero      rune // zero digit of the decimal digit family
	mandatory int
	optional  int
	regular   int // grouping interval, when regular
	sep       rune
	groups    []groupSep // irregular grouping: positions from the right
}

type groupSep struct {
	pos int
	sep rune
}

// digitZero returns the zero of r's decimal digit family, or -1.
func digitZero(r rune) rune {
	if !unicode.Is(unicode.Nd, r) {
		return -1
	}
	b := r
	for b > 0 && unicode.Is(unicode.Nd, b-1) && r-b < 9 {
		b--
	}
	return r - (r-b)%10
}

// parseIntPicture reads a format-integer picture: primary token (digits,
// A a I i W w Ww) and optional ;o (ordinal) modifier.
func parseIntPicture(pic string) (*intFormat, error) {
	f := &intFormat{}
	primary := pic
	if i := strings.LastIndexByte(pic, ';'); i >= 0 {
		mod := pic[i+1:]
		primary = pic[:i]
		if strings.HasPrefix(mod, "o") {
			f.ordinal = true
		}
	}
	switch primary {
	case "A":
		f.kind = ikAlphaUpper
	case "a":
		f.kind = ikAlphaLower
	case "I":
		f.kind = ikRomanUpper
	case "i":
		f.kind = ikRomanLower
	case "W":
		f.kind = ikWordsUpper
	case "w":
		f.kind = ikWordsLower
	case "Ww":
		f.kind = ikWordsTitle
	default:
		return f, f.parseDecimal(primary)
	}
	return f, nil
}

// parseDecimal reads a decimal digit pattern: mandatory digits of one
// family, optional '#', and grouping separators, regular or not.
func (f *intFormat) parseDecimal(primary string) error {
	f.kind = ikDecimal
	f.zero = -1
	var seps []groupSep
	digitsSeen := 0
	rs := []rune(primary)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if z := digitZero(r); z >= 0 {
			if f.zero >= 0 && z != f.zero {
				return newErr("D3131", nil)
			}
			f.zero = z
			f.mandatory++
			digitsSeen++
		} else if r == '#' {
			f.optional++
			digitsSeen++
		} else {
			// as in jsonata-js, anything else among digits is a
			// grouping separator, letters included
			seps = append(seps, groupSep{pos: digitsSeen, sep: r})
		}
	}
	if f.mandatory == 0 {
		return newErr("D3130", primary)
	}
	if len(seps) > 0 {
		regular := true
		g := seps[0].pos
		for i, s := range seps {
			if s.sep != seps[0].sep || s.pos != g*(i+1) {
				regular = false
			}
		}
		if regular && g > 0 {
			f.regular = g
			f.sep = seps[0].sep
		} else {
			f.groups = seps
		}
	}
	return nil
}

func (f *intFormat) format(n float64) string {
	neg := n < 0
	n = math.Abs(n)
	var s string
	switch f.kind {
	case ikDecimal:
		s = f.formatDecimal(n)
	case ikAlphaUpper, ikAlphaLower:
		s = toAlpha(int(n))
		if f.kind == ikAlphaLower {
			s = strings.ToLower(s)
		}
	case ikRomanUpper, ikRomanLower:
		if n > 1e6 {
			// a million M's is no numeral anyone reads; and it would take
			// unbounded time and memory, outside the evaluation limits
			s = strconv.FormatFloat(math.Floor(n), 'f', 0, 64)
			break
		}
		s = toRoman(int(n))
		if f.kind == ikRomanLower {
			s = strings.ToLower(s)
		}
	default:
		s = toWords(n)
		if f.ordinal {
			s = ordinalWords(s)
		}
		switch f.kind {
		case ikWordsUpper:
			s = strings.ToUpper(s)
		case ikWordsTitle:
			s = titleWords(s)
		}
	}
	if neg {
		s = "-" + s
	}
	return s
}

func (f *intFormat) formatDecimal(n float64) string {
	ds := strconv.FormatFloat(math.Floor(n), 'f', 0, 64)
	for len(ds) < f.mandatory {
		ds = "0" + ds
	}
	var b []rune
	digits := []rune(ds)
	for i := range digits {
		pos := len(digits) - i // digits to the right of this one, plus one
		b = append(b, f.zero+(digits[i]-'0'))
		right := pos - 1
		if right == 0 {
			continue
		}
		if f.regular > 0 && right%f.regular == 0 {
			b = append(b, f.sep)
		}
		for _, g := range f.groups {
			if g.pos == right {
				b = append(b, g.sep)
			}
		}
	}
	s := string(b)
	if f.ordinal {
		s += ordinalSuffix(int64(math.Floor(n)))
	}
	return s
}

func ordinalSuffix(n int64) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

func toAlpha(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('A' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

func fromAlpha(s string) int {
	n := 0
	for _, c := range strings.ToUpper(s) {
		n = n*26 + int(c-'A') + 1
	}
	return n
}

var romanTable = []struct {
	v int
	s string
}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}}

func toRoman(n int) string {
	var b strings.Builder
	for _, r := range romanTable {
		for n >= r.v {
			b.WriteString(r.s)
			n -= r.v
		}
	}
	return b.String()
}

func fromRoman(s string) int {
	s = strings.ToUpper(s)
	n := 0
	for _, r := range romanTable {
		for strings.HasPrefix(s, r.s) {
			n += r.v
			s = s[len(r.s):]
		}
	}
	return n
}

var smallWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
var tensWords = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
var scaleWords = []struct {
	v    float64
	name string
}{{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}}

// toWords spells a number in British English, as jsonata-js does
// ("one hundred and one", scales up to trillions, repeated beyond).
func toWords(n float64) string {
	n = math.Floor(n)
	switch {
	case n < 20:
		return smallWords[int(n)]
	case n < 100:
		s := tensWords[int(n)/10]
		if r := int(n) % 10; r > 0 {
			s += "-" + smallWords[r]
		}
		return s
	case n < 1000:
		s := smallWords[int(n)/100] + " hundred"
		if r := int(n) % 100; r > 0 {
			s += " and " + toWords(float64(r))
		}
		return s
	}
	for _, sc := range scaleWords {
		if n >= sc.v {
			hi := math.Floor(n / sc.v)
			rem := n - hi*sc.v
			s := toWords(hi) + " " + sc.name
			if rem > 0 {
				if rem < 100 {
					s += " and "
				} else {
					s += ", "
				}
				s += toWords(rem)
			}
			return s
		}
	}
	return ""
}

var ordinalWordMap = map[string]string{"one": "first", "two": "second", "three": "third", "four": "fourth",
	"five": "fifth", "six": "sixth", "seven": "seventh", "eight": "eighth", "nine": "ninth", "ten": "tenth",
	"eleven": "eleventh", "twelve": "twelfth"}

// ordinalWords turns the last word of a cardinal into its ordinal.
func ordinalWords(s string) string {
	i := strings.LastIndexAny(s, " -")
	last := s[i+1:]
	var o string
	if w, ok := ordinalWordMap[last]; ok {
		o = w
	} else if strings.HasSuffix(last, "y") {
		o = last[:len(last)-1] + "ieth"
	} else {
		o = last + "th"
	}
	return s[:i+1] + o
}

func titleWords(s string) string {
	b := []byte(s)
	start := true
	for i := range b {
		if start && b[i] >= 'a' && b[i] <= 'z' && !strings.HasPrefix(s[i:], "and ") {
			b[i] -= 32
		}
		start = b[i] == ' ' || b[i] == '-'
	}
	return string(b)
}

var wordValues = func() map[string]float64 {
	m := map[string]float64{}
	for i, w := range smallWords {
		m[w] = float64(i)
	}
	for i, w := range tensWords {
		if w != "" {
			m[w] = float64(i * 10)
			m[w[:len(w)-1]+"ieth"] = float64(i * 10)
		}
	}
	for i, w := range smallWords {
		if o, ok := ordinalWordMap[w]; ok {
			m[o] = float64(i)
		} else {
			m[w+"th"] = float64(i)
		}
	}
	return m
}()

// fromWords reads numbers spelled by toWords, and ordinals.
func fromWords(s string) (float64, bool) {
	s = strings.ToLower(s)
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == ',' })
	total, current := 0.0, 0.0
	for _, w := range fields {
		if w == "and" {
			continue
		}
		w = strings.TrimSuffix(w, "th")
		if w == "hundred" {
			current *= 100
			continue
		}
		scaled := false
		for _, sc := range scaleWords {
			if w == sc.name {
				if current > 0 {
					total += current * sc.v
					current = 0
				} else {
					total *= sc.v
				}
				scaled = true
			}
		}
		if scaled {
			continue
		}
		v, ok := wordValues[w]
		if !ok {
			v, ok = wordValues[w+"th"]
		}
		if !ok {
			return 0, false
		}
		current += v
	}
	return total + current, true
}

// parse reads a number in the picture's form; false when there is none.
func (f *intFormat) parse(s string) (float64, bool) {
	switch f.kind {
	case ikAlphaUpper, ikAlphaLower:
		return float64(fromAlpha(s)), true
	case ikRomanUpper, ikRomanLower:
		return float64(fromRoman(s)), true
	case ikWordsUpper, ikWordsLower, ikWordsTitle:
		return fromWords(s)
	}
	neg := strings.HasPrefix(s, "-")
	n := 0.0
	seen := false
	for _, r := range s {
		if r >= f.zero && r <= f.zero+9 {
			n = n*10 + float64(r-f.zero)
			seen = true
		}
	}
	if neg {
		n = -n
	}
	return n, seen
}

// intPictureArg parses the picture, the second argument of
// $formatInteger and $parseInteger.
func intPictureArg(a []any) (*intFormat, error) {
	pic, _ := a[1].(string)
	return parseIntPicture(pic)
}

func fnFormatInteger(c *callCtx, a []any) (any, error) {
	x, ok := a[0].(float64)
	if !ok {
		return nil, nil
	}
	f, err := intPictureArg(a)
	if err != nil {
		return nil, err
	}
	return f.format(x), nil
}

func fnParseInteger(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	f, err := intPictureArg(a)
	if err != nil {
		return nil, err
	}
	n, ok := f.parse(s)
	if !ok {
		// jsonata-js answers null, not undefined, for text that is not
		// in the picture's form
		return Null, nil
	}
	return n, nil
}
