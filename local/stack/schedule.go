package stack

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRate reads an EventBridge rate expression, "rate(VALUE UNIT)": a
// positive whole VALUE, and UNIT minute, minutes, hour, hours, day or days,
// singular exactly when VALUE is 1, as EventBridge requires. A cron(...)
// expression is refused by name: the local cloud fires rate schedules
// only.
func ParseRate(expr string) (time.Duration, error) {
	if strings.HasPrefix(expr, "cron(") {
		return 0, fmt.Errorf("schedule %q: cron expressions are not supported by the local cloud; use rate(VALUE UNIT), for example rate(5 minutes)", expr)
	}
	body, ok := strings.CutPrefix(expr, "rate(")
	if body, ok = strings.CutSuffix(body, ")"); !ok {
		return 0, fmt.Errorf("schedule %q: want rate(VALUE UNIT), for example rate(5 minutes)", expr)
	}
	value, unit, ok := strings.Cut(body, " ")
	n, err := strconv.Atoi(value)
	if !ok || err != nil || n <= 0 || value != strconv.Itoa(n) {
		return 0, fmt.Errorf("schedule %q: the value must be a positive whole number", expr)
	}
	per := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	singular := strings.TrimSuffix(unit, "s")
	d, known := per[singular]
	switch {
	case !known:
		return 0, fmt.Errorf("schedule %q: the unit must be minute(s), hour(s) or day(s)", expr)
	case n == 1 && unit != singular:
		return 0, fmt.Errorf("schedule %q: a value of 1 takes the singular unit %q", expr, singular)
	case n > 1 && unit == singular:
		return 0, fmt.Errorf("schedule %q: a value above 1 takes the plural unit %q", expr, singular+"s")
	}
	return time.Duration(n) * d, nil
}
