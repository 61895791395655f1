package jsonata

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var isoDateRe = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?)?)?)?$`)

// parseISO reads the ISO 8601 forms $toMillis accepts without a picture.
func parseISO(s string) (int64, bool) {
	m := isoDateRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	num := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		n, _ := strconv.Atoi(m[i])
		return n
	}
	ms := 0
	if m[7] != "" {
		frac := (m[7] + "000")[:3]
		ms, _ = strconv.Atoi(frac)
	}
	t := time.Date(num(1, 0), time.Month(num(2, 1)), num(3, 1), num(4, 0), num(5, 0), num(6, 0), ms*1e6, time.UTC)
	off := 0
	if z := m[8]; z != "" && z != "Z" {
		off = parseTZ(strings.ReplaceAll(z, ":", ""))
	}
	return t.UnixMilli() - int64(off)*60000, true
}

func namesPattern(names []string, maxW int) string {
	var alts []string
	for _, n := range names {
		alts = append(alts, regexp.QuoteMeta(n))
		if maxW > 0 && len(n) > maxW {
			alts = append(alts, regexp.QuoteMeta(n[:maxW]))
		}
	}
	return "((?i:" + strings.Join(alts, "|") + "))"
}

// pattern is the regular expression a marker matches when parsing.
func (p *dtPart) pattern() string {
	switch p.component {
	case 'Z':
		return `((?:[+-][0-9]{1,2}(?::?[0-9]{2})?)|Z)`
	case 'z':
		return `GMT((?:[+-][0-9]{1,2}(?::?[0-9]{2})?))`
	case 'P':
		return `((?i:am|pm))`
	case 'C', 'E':
		return `(?:[A-Za-z]+)`
	}
	if p.names != ncNone {
		if p.component == 'F' {
			return namesPattern(dayNames, p.maxWidth)
		}
		return namesPattern(monthNames, p.maxWidth)
	}
	switch p.intf.kind {
	case ikAlphaUpper, ikAlphaLower:
		return `((?i:[a-z]+))`
	case ikRomanUpper, ikRomanLower:
		return `((?i:[mdclxvi]+))`
	case ikWordsUpper, ikWordsLower, ikWordsTitle:
		return `((?i:[a-z]+(?:[ ,\-]+[a-z]+)*))`
	}
	digits := `[0-9]+`
	if p.parseW > 0 {
		digits = `[0-9]{` + strconv.Itoa(p.parseW) + `}`
	}
	if p.ordinal {
		return `(` + digits + `(?:st|nd|rd|th))`
	}
	return `(` + digits + `)`
}

func (p *dtPart) parseValue(s string) int {
	switch p.component {
	case 'Z', 'z':
		if s == "Z" {
			return 0
		}
		return parseTZ(strings.ReplaceAll(s, ":", ""))
	case 'P':
		if strings.EqualFold(s, "pm") {
			return 1
		}
		return 0
	case 'f':
		f, _ := strconv.ParseFloat("0."+s, 64)
		return int(f * 1000)
	}
	if p.names != ncNone {
		list := monthNames
		if p.component == 'F' {
			list = dayNames
		}
		for i, n := range list {
			if strings.EqualFold(n, s) || (p.maxWidth > 0 && len(n) > p.maxWidth && strings.EqualFold(n[:p.maxWidth], s)) {
				return i + 1
			}
		}
		return 0
	}
	if p.intf.kind == ikDecimal {
		s = strings.TrimRight(s, "stndrh")
	}
	v, _ := p.intf.parse(s)
	return int(v)
}

// maskOf is a bit per component in order, set when the component was
// parsed; the allowed combinations are masks.
func maskOf(comps map[byte]int, order string) int {
	m := 0
	for i := 0; i < len(order); i++ {
		m <<= 1
		if _, ok := comps[order[i]]; ok {
			m++
		}
	}
	return m
}

func isType(t, mask int) bool { return ^t&mask == 0 && t&mask != 0 }

func nowFragment(now time.Time, c byte) int {
	now = now.UTC()
	switch c {
	case 'Y':
		return now.Year()
	case 'M':
		return int(now.Month())
	case 'D':
		return now.Day()
	case 'H':
		return now.Hour()
	case 'm':
		return now.Minute()
	case 's':
		return now.Second()
	case 'f':
		return now.Nanosecond() / 1e6
	}
	return 0
}

// parseWithPicture is $toMillis with a picture: the picture becomes one
// anchored regular expression, whose groups are the components.
func parseWithPicture(s, picture string, now time.Time) (any, error) {
	parts, err := parseDatePicture(picture)
	if err != nil {
		return nil, err
	}
	var re strings.Builder
	re.WriteString("^")
	var markers []*dtPart
	for _, p := range parts {
		if !p.isMarker {
			re.WriteString(regexp.QuoteMeta(p.literal))
			continue
		}
		pat := p.pattern()
		re.WriteString(pat)
		if p.component != 'C' && p.component != 'E' {
			markers = append(markers, p)
		}
	}
	re.WriteString("$")
	rx, err := regexp.Compile(re.String())
	if err != nil {
		return nil, nil
	}
	m := rx.FindStringSubmatch(s)
	if m == nil {
		return nil, nil
	}
	comps := map[byte]int{}
	for i, p := range markers {
		comps[p.component] = p.parseValue(m[i+1])
	}
	if len(comps) == 0 {
		return nil, nil
	}
	return resolveComponents(comps, now)
}

// resolveComponents turns parsed components into milliseconds: the most
// significant missing ones come from now, the least significant default
// to their minimum, and a gap in between is an error (D3136).
func resolveComponents(comps map[byte]int, now time.Time) (any, error) {
	dmask := maskOf(comps, "YXMxWwdD")
	dateA := isType(161, dmask)
	dateB := !dateA && isType(130, dmask)
	dateC := isType(84, dmask)
	dateD := !dateC && isType(72, dmask)
	tmask := maskOf(comps, "PHhmsf")
	timeA := isType(23, tmask)
	timeB := !timeA && isType(47, tmask)
	order := "YMD"
	switch {
	case dateB:
		order = "YD"
	case dateC:
		order = "XxwF"
	case dateD:
		order = "XWF"
	}
	if timeB {
		order += "Phmsf"
	} else {
		order += "Hmsf"
	}
	start, end := false, false
	for i := 0; i < len(order); i++ {
		c := order[i]
		if _, ok := comps[c]; !ok {
			if start {
				if strings.IndexByte("MDd", c) >= 0 {
					comps[c] = 1
				} else {
					comps[c] = 0
				}
				end = true
			} else {
				comps[c] = nowFragment(now, c)
			}
		} else {
			start = true
			if end {
				return nil, newErr("D3136", nil)
			}
		}
	}
	if dateC || dateD {
		return nil, newErr("D3136", nil)
	}
	month := comps['M']
	if month < 1 {
		month = 1
	}
	day := comps['D']
	if dateB {
		month, day = 1, comps['d']
	}
	if timeB {
		h := comps['h']
		if h == 12 {
			h = 0
		}
		if comps['P'] == 1 {
			h += 12
		}
		comps['H'] = h
	}
	t := time.Date(comps['Y'], time.Month(month), day, comps['H'], comps['m'], comps['s'], comps['f']*1e6, time.UTC)
	ms := t.UnixMilli()
	if off, ok := comps['Z']; ok {
		ms -= int64(off) * 60000
	} else if off, ok := comps['z']; ok {
		ms -= int64(off) * 60000
	}
	return float64(ms), nil
}

func fnToMillis(c *callCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, nil
	}
	if pic, ok := a[1].(string); ok {
		return parseWithPicture(s, pic, c.ev.now)
	}
	ms, ok := parseISO(s)
	if !ok {
		return nil, newErr("D3110", s)
	}
	return float64(ms), nil
}
