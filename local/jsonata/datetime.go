package jsonata

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Date/time pictures follow XPath's fn:format-dateTime: literal text, and
// [markers] naming a component (Y M D d F W w X x H h P m s f Z z C E) with
// presentation and width modifiers.

type nameCase int

const (
	ncNone nameCase = iota
	ncLower
	ncUpper
	ncTitle
)

type dtPart struct {
	literal   string
	isMarker  bool
	component byte
	pres1     string
	pres2     string
	ordinal   bool
	names     nameCase
	minWidth  int // -1 when unspecified
	maxWidth  int // -1 when unspecified
	intf      *intFormat
	yearN     int // digits a year is truncated to, or -1
	parseW    int // exact digit count when parsing adjacent integers
}

var defaultPresentation = map[byte]string{'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1",
	'X': "1", 'x': "1", 'H': "1", 'h': "1", 'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01",
	'C': "n", 'E': "n"}

// parseDatePicture splits a date/time picture into literals and markers;
// [[ and ]] are literal brackets.
func parseDatePicture(pic string) ([]*dtPart, error) {
	// an unterminated marker is reported before anything inside markers
	if i := strings.LastIndexByte(strings.ReplaceAll(pic, "[[", ""), '['); i >= 0 && !strings.Contains(strings.ReplaceAll(pic, "[[", "")[i:], "]") {
		return nil, newErr("D3135", nil)
	}
	var parts []*dtPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, &dtPart{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pic); i++ {
		c := pic[i]
		if c == '[' && i+1 < len(pic) && pic[i+1] == '[' {
			lit.WriteByte('[')
			i++
			continue
		}
		if c == ']' && i+1 < len(pic) && pic[i+1] == ']' {
			lit.WriteByte(']')
			i++
			continue
		}
		if c != '[' {
			lit.WriteByte(c)
			continue
		}
		end := strings.IndexByte(pic[i:], ']')
		if end < 0 {
			return nil, newErr("D3135", nil)
		}
		flush()
		p, err := parseMarker(strings.Join(strings.Fields(pic[i+1:i+end]), ""))
		if err != nil {
			return nil, err
		}
		if p.intf != nil && len(parts) > 0 {
			if prev := parts[len(parts)-1]; prev.isMarker && prev.intf != nil && prev.component != 'Z' && prev.component != 'z' {
				prev.parseW = prev.intf.mandatory
			}
		}
		parts = append(parts, p)
		i += end
	}
	flush()
	return parts, nil
}

func parseWidthSpec(s string) int {
	if s == "" || s == "*" {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// parseMarker reads one [marker]: component, presentation modifiers and
// ,min-max width.
func parseMarker(m string) (*dtPart, error) {
	p := &dtPart{isMarker: true, minWidth: -1, maxWidth: -1, yearN: -1}
	if m == "" {
		return nil, newErr("D3132", "")
	}
	p.component = m[0]
	pres := m[1:]
	if comma := strings.LastIndexByte(m, ','); comma >= 0 {
		w := m[comma+1:]
		pres = m[1:comma]
		lo, hi, dash := strings.Cut(w, "-")
		p.minWidth = parseWidthSpec(lo)
		if dash {
			p.maxWidth = parseWidthSpec(hi)
		}
	}
	if len(pres) > 1 && strings.IndexByte("atco", pres[len(pres)-1]) >= 0 {
		p.pres2 = pres[len(pres)-1:]
		p.ordinal = p.pres2 == "o"
		pres = pres[:len(pres)-1]
	}
	if pres == "" {
		d, ok := defaultPresentation[p.component]
		if !ok {
			return nil, newErr("D3132", string(p.component))
		}
		pres = d
	}
	if _, ok := defaultPresentation[p.component]; !ok {
		return nil, newErr("D3132", string(p.component))
	}
	p.pres1 = pres
	switch {
	case pres[0] == 'n':
		p.names = ncLower
	case pres[0] == 'N':
		p.names = ncUpper
		if len(pres) > 1 && pres[1] == 'n' {
			p.names = ncTitle
		}
	case strings.IndexByte("YMDdFWwXxHhmsf", p.component) >= 0:
		ip := pres
		if p.pres2 != "" {
			ip += ";" + p.pres2
		}
		f, err := parseIntPicture(ip)
		if err != nil {
			return nil, err
		}
		if p.minWidth > f.mandatory && f.kind == ikDecimal {
			f.mandatory = p.minWidth
		}
		if p.component == 'Y' {
			if p.maxWidth >= 0 {
				p.yearN = p.maxWidth
				f.mandatory = p.maxWidth
			} else if w := f.mandatory + f.optional; w >= 2 {
				p.yearN = w
			}
		}
		p.intf = f
	}
	if p.names != ncNone && strings.IndexByte("MxFPCE", p.component) < 0 {
		return nil, newErr("D3133", string(p.component))
	}
	if p.component == 'Z' || p.component == 'z' {
		f, err := parseIntPicture(pres)
		if err != nil {
			return nil, err
		}
		p.intf = f
	}
	return p, nil
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}
var dayNames = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

func isoDow(t time.Time) int {
	d := int(t.Weekday())
	if d == 0 {
		return 7
	}
	return d
}

// isoWeek returns the ISO week-numbering year and week.
func isoWeek(t time.Time) (int, int) { return t.ISOWeek() }

// monthWeek is the week of the month, weeks running Monday to Sunday and
// belonging to the month their Thursday falls in.
func monthWeek(t time.Time) (time.Month, int, int) {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	mon := day.AddDate(0, 0, -(isoDow(day) - 1))
	thu := mon.AddDate(0, 0, 3)
	first := time.Date(thu.Year(), thu.Month(), 1, 0, 0, 0, 0, time.UTC)
	firstThu := first.AddDate(0, 0, (4-isoDow(first)+7)%7)
	week1 := firstThu.AddDate(0, 0, -3)
	return thu.Month(), thu.Year(), int(mon.Sub(week1).Hours()/24)/7 + 1
}

func applyCase(s string, nc nameCase) string {
	switch nc {
	case ncLower:
		return strings.ToLower(s)
	case ncUpper:
		return strings.ToUpper(s)
	}
	return s
}

func (p *dtPart) truncName(s string) string {
	if p.maxWidth > 0 && len(s) > p.maxWidth {
		return s[:p.maxWidth]
	}
	return s
}

func componentValue(t time.Time, c byte) int {
	switch c {
	case 'Y':
		return t.Year()
	case 'M':
		return int(t.Month())
	case 'D':
		return t.Day()
	case 'd':
		return t.YearDay()
	case 'F':
		return isoDow(t)
	case 'W':
		_, w := isoWeek(t)
		return w
	case 'w':
		_, _, w := monthWeek(t)
		return w
	case 'X':
		y, _ := isoWeek(t)
		return y
	case 'x':
		m, _, _ := monthWeek(t)
		return int(m)
	case 'H':
		return t.Hour()
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return h
	case 'm':
		return t.Minute()
	case 's':
		return t.Second()
	case 'f':
		return t.Nanosecond() / 1e6
	}
	return 0
}

// format renders one marker for the time t.
func (p *dtPart) format(t time.Time, offsetMin int) (string, error) {
	c := p.component
	switch c {
	case 'Z', 'z':
		return p.formatZone(offsetMin)
	case 'P':
		s := "am"
		if t.Hour() >= 12 {
			s = "pm"
		}
		return applyCase(s, p.names), nil
	case 'C', 'E':
		return "ISO", nil
	}
	v := componentValue(t, c)
	if p.names != ncNone {
		var s string
		if c == 'M' || c == 'x' {
			s = monthNames[v-1]
		} else {
			s = dayNames[v-1]
		}
		return p.truncName(applyCase(s, p.names)), nil
	}
	if c == 'Y' && p.yearN > 0 {
		v %= int(math.Pow10(p.yearN))
	}
	s := p.intf.format(float64(v))
	if p.maxWidth > 0 && len(s) > p.maxWidth {
		s = s[:p.maxWidth]
	}
	return s, nil
}

// formatZone renders [Z] and [z]: the picture's digit count chooses
// between +5, +05:00 and +0500 forms; t makes a zero offset "Z".
func (p *dtPart) formatZone(offsetMin int) (string, error) {
	f := p.intf
	if p.pres2 == "t" && offsetMin == 0 {
		return "Z", nil
	}
	digits := f.mandatory + f.optional
	if digits > 4 {
		return "", newErr("D3134", p.pres1)
	}
	sign := "+"
	if offsetMin < 0 {
		sign = "-"
		offsetMin = -offsetMin
	}
	h, m := offsetMin/60, offsetMin%60
	var s string
	switch {
	case digits <= 2:
		s = f.zeroPad(h, digits)
		if m != 0 {
			s += ":" + f.zeroPad(m, 2)
		}
	default:
		sep := ""
		if f.regular > 0 || len(f.groups) > 0 {
			sep = string(f.sep)
			if len(f.groups) > 0 {
				sep = string(f.groups[0].sep)
			}
		}
		s = f.zeroPad(h, digits-2) + sep + f.zeroPad(m, 2)
	}
	s = sign + s
	if p.component == 'z' {
		s = "GMT" + s
	}
	return s, nil
}

func (f *intFormat) zeroPad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

const isoPicture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

// parseTZ reads a timezone argument such as "+0100" or "-0500" as minutes.
func parseTZ(tz string) int {
	sign := 1
	if strings.HasPrefix(tz, "-") {
		sign = -1
		tz = tz[1:]
	} else {
		tz = strings.TrimPrefix(tz, "+")
	}
	if len(tz) < 4 {
		n, _ := strconv.Atoi(tz)
		return sign * n * 60
	}
	h, _ := strconv.Atoi(tz[:len(tz)-2])
	m, _ := strconv.Atoi(tz[len(tz)-2:])
	return sign * (h*60 + m)
}

// formatMillis is $fromMillis and $now: the ISO 8601 form when no picture
// is given, in UTC or the given offset.
func formatMillis(ms int64, pic, tz any) (any, error) {
	picture := isoPicture
	if s, ok := pic.(string); ok {
		picture = s
	}
	offset := 0
	if s, ok := tz.(string); ok {
		offset = parseTZ(s)
	}
	parts, err := parseDatePicture(picture)
	if err != nil {
		return nil, err
	}
	t := time.UnixMilli(ms).In(time.FixedZone("", offset*60))
	var b strings.Builder
	for _, p := range parts {
		if !p.isMarker {
			b.WriteString(p.literal)
			continue
		}
		s, err := p.format(t, offset)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func fnFromMillis(c *callCtx, a []any) (any, error) {
	x, ok := a[0].(float64)
	if !ok {
		return nil, nil
	}
	// a JavaScript Date truncates fractional milliseconds toward zero
	return formatMillis(int64(x), a[1], a[2])
}
