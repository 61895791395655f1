package jsonata

import (
	"math"
	"strconv"
	"strings"
)

// $formatNumber implements XPath's fn:format-number: a picture of one or
// two sub-pictures (positive;negative), each prefix, integer part with
// grouping, fraction, optional exponent, suffix.

type decimalFormat struct {
	decimal, grouping, exponent, minus, percent, perMille, zero, digit, patternSep string
}

func newDecimalFormat(opts any) decimalFormat {
	f := decimalFormat{".", ",", "e", "-", "%", "\u2030", "0", "#", ";"}
	o, ok := opts.(*Object)
	if !ok {
		return f
	}
	set := map[string]*string{"decimal-separator": &f.decimal, "grouping-separator": &f.grouping,
		"exponent-separator": &f.exponent, "minus-sign": &f.minus, "percent": &f.percent,
		"per-mille": &f.perMille, "zero-digit": &f.zero, "digit": &f.digit, "pattern-separator": &f.patternSep}
	for _, k := range o.keys {
		if p, ok := set[k]; ok {
			if s, ok := o.m[k].(string); ok {
				*p = s
			}
		}
	}
	return f
}

func (f *decimalFormat) zeroRune() rune { return []rune(f.zero)[0] }

func (f *decimalFormat) isDigit(r rune) bool {
	z := f.zeroRune()
	return r >= z && r <= z+9
}

func (f *decimalFormat) isActive(r rune) bool {
	s := string(r)
	return f.isDigit(r) || s == f.decimal || s == f.exponent || s == f.grouping || s == f.digit || s == f.patternSep
}

type subPicture struct {
	pic, prefix, suffix, active, mantissa, integer, fraction string
	exponent                                                 *string
}

// split divides a sub-picture into prefix, active part (mantissa and
// exponent) and suffix.
func (f *decimalFormat) split(pic string) subPicture {
	rs := []rune(pic)
	sp := subPicture{pic: pic}
	start, end := len(rs), len(rs)
	for i, r := range rs {
		if f.isActive(r) && string(r) != f.exponent {
			start = i
			break
		}
	}
	for i := len(rs) - 1; i >= 0; i-- {
		if f.isActive(rs[i]) && string(rs[i]) != f.exponent {
			end = i + 1
			break
		}
	}
	if start == len(rs) {
		// no active character at all: the whole picture is the active
		// part, which then fails validation (D3086)
		start, end = 0, len(rs)
	} else {
		sp.prefix = string(rs[:start])
		sp.suffix = string(rs[end:])
	}
	active := rs[start:end]
	sp.active = string(active)
	sp.mantissa = sp.active
	if ei := indexRunes(active, f.exponent); ei >= 0 {
		sp.mantissa = string(active[:ei])
		e := string(active[ei+len([]rune(f.exponent)):])
		sp.exponent = &e
	}
	if di := strings.Index(sp.mantissa, f.decimal); di >= 0 {
		sp.integer = sp.mantissa[:di]
		sp.fraction = sp.mantissa[di+len(f.decimal):]
	} else {
		sp.integer = sp.mantissa
		sp.fraction = sp.suffix
	}
	return sp
}

func indexRunes(rs []rune, sub string) int {
	i := strings.Index(string(rs), sub)
	if i < 0 {
		return -1
	}
	return len([]rune(string(rs)[:i]))
}

func (f *decimalFormat) countDigits(s string, optional bool) int {
	n := 0
	for _, r := range s {
		if f.isDigit(r) || (optional && string(r) == f.digit) {
			n++
		}
	}
	return n
}

// validate reports the last rule the sub-picture breaks, as jsonata-js.
func (f *decimalFormat) validate(sp subPicture) error {
	code := ""
	p := sp.pic
	if strings.Count(p, f.decimal) > 1 {
		code = "D3081"
	}
	if strings.Count(p, f.percent) > 1 {
		code = "D3082"
	}
	if strings.Count(p, f.perMille) > 1 {
		code = "D3083"
	}
	if strings.Contains(p, f.percent) && strings.Contains(p, f.perMille) {
		code = "D3084"
	}
	if f.countDigits(sp.mantissa, true) == 0 {
		code = "D3085"
	}
	for _, r := range sp.active {
		if !f.isActive(r) {
			code = "D3086"
		}
	}
	if di := strings.Index(p, f.decimal); di >= 0 {
		if strings.HasSuffix(p[:di], f.grouping) || strings.HasPrefix(p[di+len(f.decimal):], f.grouping) {
			code = "D3087"
		}
	} else if strings.HasSuffix(sp.integer, f.grouping) {
		code = "D3088"
	}
	if strings.Contains(p, f.grouping+f.grouping) {
		code = "D3089"
	}
	if oi := strings.Index(sp.integer, f.digit); oi >= 0 && f.countDigits(sp.integer[:oi], false) > 0 {
		code = "D3090"
	}
	if oi := strings.LastIndex(sp.fraction, f.digit); oi >= 0 && f.countDigits(sp.fraction[oi:], false) > 0 {
		code = "D3091"
	}
	if sp.exponent != nil {
		if len(*sp.exponent) > 0 && (strings.Contains(p, f.percent) || strings.Contains(p, f.perMille)) {
			code = "D3092"
		}
		if len(*sp.exponent) == 0 || f.countDigits(*sp.exponent, false) != len([]rune(*sp.exponent)) {
			code = "D3093"
		}
	}
	if code != "" {
		return newErr(code, nil)
	}
	return nil
}

type numLayout struct {
	intGroups     []int
	regular       int
	minInt        int
	scaling       int
	prefix        string
	suffix        string
	fracGroups    []int
	minFrac       int
	maxFrac       int
	minExp        int
	hasExp        bool
	pic           string
	hasDecimalSep bool
}

func (f *decimalFormat) groupPositions(part string, toLeft bool) []int {
	var out []int
	for i := 0; i < len(part); {
		j := strings.Index(part[i:], f.grouping)
		if j < 0 {
			break
		}
		at := i + j
		var side string
		if toLeft {
			side = part[:at]
		} else {
			side = part[at:]
		}
		out = append(out, f.countDigits(side, true))
		i = at + len(f.grouping)
	}
	return out
}

// regularGrouping returns the interval when the grouping separators
// repeat regularly (then they repeat over all digits), else 0.
func regularGrouping(pos []int) int {
	if len(pos) == 0 {
		return 0
	}
	gcd := func(a, b int) int {
		for b != 0 {
			a, b = b, a%b
		}
		return a
	}
	g := pos[0]
	for _, p := range pos[1:] {
		g = gcd(g, p)
	}
	for i := 1; i <= len(pos); i++ {
		found := false
		for _, p := range pos {
			if p == i*g {
				found = true
			}
		}
		if !found {
			return 0
		}
	}
	return g
}

// analyse derives the layout of a valid sub-picture: digit counts,
// grouping positions and the exponent's width.
func (f *decimalFormat) analyse(sp subPicture) numLayout {
	l := numLayout{prefix: sp.prefix, suffix: sp.suffix, pic: sp.pic, hasExp: sp.exponent != nil}
	l.intGroups = f.groupPositions(sp.integer, false)
	l.regular = regularGrouping(l.intGroups)
	l.fracGroups = f.groupPositions(sp.fraction, true)
	l.minInt = f.countDigits(sp.integer, false)
	l.scaling = l.minInt
	l.minFrac = f.countDigits(sp.fraction, false)
	l.maxFrac = f.countDigits(sp.fraction, true)
	if l.minInt == 0 && l.maxFrac == 0 {
		if l.hasExp {
			l.minFrac, l.maxFrac = 1, 1
		} else {
			l.minInt = 1
		}
	}
	if l.hasExp && l.minInt == 0 && strings.Contains(sp.integer, f.digit) {
		l.minInt = 1
	}
	if l.minInt == 0 && l.minFrac == 0 {
		l.minFrac = 1
	}
	if l.hasExp {
		l.minExp = f.countDigits(*sp.exponent, false)
	}
	l.hasDecimalSep = strings.Contains(sp.pic, f.decimal)
	return l
}

func (f *decimalFormat) digits(s string) string {
	z := f.zeroRune()
	if z == '0' {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(z + (r - '0'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func fnFormatNumber(c *callCtx, a []any) (any, error) {
	v, ok := a[0].(float64)
	if !ok {
		return nil, nil
	}
	pic, _ := a[1].(string)
	f := newDecimalFormat(a[2])
	subs := strings.Split(pic, f.patternSep)
	if len(subs) > 2 {
		return nil, newErr("D3080", nil)
	}
	var layouts []numLayout
	for _, s := range subs {
		sp := f.split(s)
		if err := f.validate(sp); err != nil {
			return nil, err
		}
		layouts = append(layouts, f.analyse(sp))
	}
	if len(layouts) == 1 {
		neg := layouts[0]
		neg.prefix = f.minus + neg.prefix
		layouts = append(layouts, neg)
	}
	l := layouts[0]
	if v < 0 {
		l = layouts[1]
	}
	return f.render(v, l), nil
}

// render formats v by a layout: scale (percent, per-mille, exponent),
// round half to even, pad, group, add prefix and suffix.
func (f *decimalFormat) render(v float64, l numLayout) string {
	if strings.Contains(l.pic, f.percent) {
		v *= 100
	} else if strings.Contains(l.pic, f.perMille) {
		v *= 1000
	}
	mant := v
	exp := 0
	if l.minExp > 0 && mant != 0 {
		maxM := math.Pow(10, float64(l.scaling))
		minM := math.Pow(10, float64(l.scaling-1))
		for math.Abs(mant) < minM {
			mant *= 10
			exp--
		}
		for math.Abs(mant) > maxM {
			mant /= 10
			exp++
		}
	}
	rounded := roundHalfEven(mant, l.maxFrac)
	// toFixed, which jsonata-js uses, switches to exponent form from 1e21
	digits := strconv.FormatFloat(math.Abs(rounded), 'f', l.maxFrac, 64)
	if math.Abs(rounded) >= 1e21 {
		digits = formatNumber(math.Abs(rounded))
	}
	s := f.digits(digits)
	zero := string(f.zeroRune())
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i] + f.decimal + s[i+1:]
	} else {
		s += f.decimal
	}
	for strings.HasPrefix(s, zero) {
		s = s[len(zero):]
	}
	for strings.HasSuffix(s, zero) {
		s = s[:len(s)-len(zero)]
	}
	rs := []rune(s)
	dec := []rune(f.decimal)[0]
	dp := runeIndexOf(rs, dec)
	if pad := l.minInt - dp; pad > 0 {
		rs = append([]rune(strings.Repeat(zero, pad)), rs...)
	}
	dp = runeIndexOf(rs, dec)
	if pad := l.minFrac - (len(rs) - dp - 1); pad > 0 {
		rs = append(rs, []rune(strings.Repeat(zero, pad))...)
	}
	grp := []rune(f.grouping)
	insert := func(at int) {
		rs = append(rs[:at], append(append([]rune{}, grp...), rs[at:]...)...)
	}
	dp = runeIndexOf(rs, dec)
	if l.regular > 0 {
		for g := 1; g <= (dp-1)/l.regular; g++ {
			insert(dp - g*l.regular)
		}
	} else {
		for _, pos := range l.intGroups {
			insert(dp - pos)
			dp++
		}
	}
	dp = runeIndexOf(rs, dec)
	for _, pos := range l.fracGroups {
		insert(pos + dp + 1)
	}
	dp = runeIndexOf(rs, dec)
	if !l.hasDecimalSep || dp == len(rs)-1 {
		rs = rs[:len(rs)-1]
	}
	out := string(rs)
	if l.hasExp {
		es := f.digits(strconv.Itoa(abs(exp)))
		if pad := l.minExp - len([]rune(es)); pad > 0 {
			es = strings.Repeat(zero, pad) + es
		}
		sign := ""
		if exp < 0 {
			sign = f.minus
		}
		out += f.exponent + sign + es
	}
	return l.prefix + out + l.suffix
}

func runeIndexOf(rs []rune, r rune) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}
