package csvimport

import (
	"errors"
	"strings"
	"time"
)

// builtinLayout is a date layout that Import tries without being told.
type builtinLayout struct {
	layout string
	zoned  bool // the layout carries a UTC offset
}

// builtinLayouts are the platforms' own export formats and ISO 8601. Numeric
// day/month dates (03/04/2024, 25-12-2024, 4.3.2024) are read by parseNumeric.
var builtinLayouts = []builtinLayout{
	{time.RFC3339Nano, true},
	{"2006-01-02 15:04:05 -0700", true},  // Zendesk
	{"2006-01-02 15:04:05 -07:00", true}, //
	{"2006-01-02 15:04:05Z07:00", true},  //
	{"2006-01-02T15:04:05", false},       //
	{"2006-01-02 15:04:05", false},       // Freshdesk
	{"2006-01-02 15:04", false},          // HubSpot
	{"2006-01-02", false},                //
	{"2006/01/02 15:04:05", false},       //
	{"2006/01/02 15:04", false},          //
	{"2006/01/02", false},                //
	{"02/Jan/06 3:04 PM", false},         // Jira
	{"2/Jan/06 3:04 PM", false},          //
	{"02/Jan/2006 3:04 PM", false},       //
	{"02/Jan/06 15:04", false},           //
	{"Jan 2, 2006 3:04 PM", false},       //
	{"Jan 2, 2006", false},               //
	{"2 Jan 2006 15:04", false},          //
	{"2 Jan 2006", false},                //
}

// dateOrder says how a numeric date's first two numbers are read.
type dateOrder int8

const (
	orderUnknown    dateOrder = iota
	orderDayFirst             // 25/12/2024
	orderMonthFirst           // 12/25/2024
)

func (o dateOrder) String() string {
	if o == orderDayFirst {
		return "day first"
	}
	return "month first"
}

var errNotDate = errors.New("not a date Import can read; name its layout in Options.DateLayouts")

// dates reads the date cells of one import. It is not safe for concurrent
// use.
type dates struct {
	layouts []string // Options.DateLayouts, tried first
	loc     *time.Location
	last    int // index in builtinLayouts that matched last, tried first

	// order reads ambiguous numeric dates; fromFile says whether the file
	// decided it (a day above 12 appeared) or Options.DayFirst did.
	order    dateOrder
	fromFile bool
	// ambiguous counts ambiguous numeric dates read under order;
	// ambiguousFirst is the first line holding one.
	ambiguous      int
	ambiguousFirst int
	// contrary counts unambiguous dates that contradict an order the
	// file had decided; contraryFirst is the first line.
	contrary      int
	contraryFirst int
	// switched holds the warning written when a later row decided the
	// order after ambiguous dates had been read the other way.
	switched []string
	// unzoned is set once a value without a UTC offset was read in loc.
	unzoned bool
}

// parse reads one date cell. line is for the warnings.
func (d *dates) parse(s string, line int) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range d.layouts {
		if t, err := time.ParseInLocation(l, s, d.loc); err == nil {
			return t, nil
		}
	}
	if t, zoned, ok := parseISO(s, d.loc); ok {
		if !zoned {
			d.unzoned = true
		}
		return t, nil
	}
	if t, ok := d.tryLayout(d.last, s); ok {
		return t, nil
	}
	if len(s) > 0 && s[0] >= '0' && s[0] <= '9' {
		if n, ok := scanNumeric(s); ok {
			return d.numeric(n, line)
		}
	}
	for i := range builtinLayouts {
		if i == d.last {
			continue
		}
		if t, ok := d.tryLayout(i, s); ok {
			d.last = i
			return t, nil
		}
	}
	if u, ok := strings.CutSuffix(s, " UTC"); ok {
		return d.parse(u+"Z", line)
	}
	if u, ok := strings.CutSuffix(s, " GMT"); ok {
		return d.parse(u+"Z", line)
	}
	return time.Time{}, errNotDate
}

func (d *dates) tryLayout(i int, s string) (time.Time, bool) {
	l := builtinLayouts[i]
	// Cheap guard against a failed parse, which allocates its error.
	if n := len(s) - len(l.layout); n < -16 || n > 16 {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(l.layout, s, d.loc)
	if err != nil {
		return time.Time{}, false
	}
	if !l.zoned {
		d.unzoned = true
	}
	return t, true
}

// numericDate is a date such as 03/04/2024 14:22 before its day and month
// are told apart.
type numericDate struct {
	a, b, year           int
	hour, min, sec, nsec int
}

// classify says which order a numeric date proves, orderUnknown when both
// readings are valid.
func (n numericDate) classify() dateOrder {
	switch {
	case n.a > 12 && n.b <= 12:
		return orderDayFirst
	case n.b > 12 && n.a <= 12:
		return orderMonthFirst
	}
	return orderUnknown
}

func (d *dates) numeric(n numericDate, line int) (time.Time, error) {
	order := n.classify()
	switch {
	case order == orderUnknown && n.a == n.b:
		order = orderDayFirst // 05/05/2024 reads the same either way
	case order == orderUnknown:
		order = d.order
		if d.ambiguous == 0 {
			d.ambiguousFirst = line
		}
		d.ambiguous++
	case order != d.order && d.fromFile:
		if d.contrary == 0 {
			d.contraryFirst = line
		}
		d.contrary++
	case order != d.order:
		// The first decisive date, after the sample: the rest of the
		// file follows it, and the report says what was read before.
		if d.ambiguous > 0 {
			d.switched = append(d.switched, plural(d.ambiguous, "ambiguous date")+
				" from line "+itoa(d.ambiguousFirst)+" were read "+d.order.String()+
				" before line "+itoa(line)+" showed "+order.String()+
				" dates; check those tickets, or import again with DayFirst set to match")
		}
		d.order, d.fromFile, d.ambiguous = order, true, 0
	}
	day, month := n.a, n.b
	if order == orderMonthFirst {
		day, month = n.b, n.a
	}
	if month < 1 || month > 12 || day < 1 {
		return time.Time{}, errNotDate
	}
	t := time.Date(n.year, time.Month(month), day, n.hour, n.min, n.sec, n.nsec, d.loc)
	if t.Day() != day {
		return time.Time{}, errors.New("no such day")
	}
	d.unzoned = true
	return t, nil
}

// scanNumeric reads A/B/YYYY, A-B-YYYY or A.B.YYYY (one or two digits for A
// and B, two or four for the year), optionally followed by a time of day:
// " 15:04", " 15:04:05", " 15:04:05.000", " 3:04 PM", "T15:04:05".
func scanNumeric(s string) (numericDate, bool) {
	var n numericDate
	i := 0
	num := func(min, max int) (int, bool) {
		v, j := 0, i
		for j < len(s) && j-i < max && s[j] >= '0' && s[j] <= '9' {
			v = v*10 + int(s[j]-'0')
			j++
		}
		if j-i < min {
			return 0, false
		}
		i = j
		return v, true
	}
	var ok bool
	if n.a, ok = num(1, 2); !ok || i >= len(s) {
		return n, false
	}
	sep := s[i]
	if sep != '/' && sep != '-' && sep != '.' {
		return n, false
	}
	i++
	if n.b, ok = num(1, 2); !ok || i >= len(s) || s[i] != sep {
		return n, false
	}
	i++
	start := i
	if n.year, ok = num(2, 4); !ok || i-start == 3 {
		return n, false
	}
	if i-start == 2 {
		n.year += 2000
	}
	if i == len(s) {
		return n, true
	}
	if s[i] != ' ' && s[i] != 'T' {
		return n, false
	}
	i++
	if n.hour, ok = num(1, 2); !ok || i >= len(s) || s[i] != ':' {
		return n, false
	}
	i++
	if n.min, ok = num(2, 2); !ok {
		return n, false
	}
	if i < len(s) && s[i] == ':' {
		i++
		if n.sec, ok = num(2, 2); !ok {
			return n, false
		}
		if i < len(s) && s[i] == '.' {
			i++
			start := i
			frac, ok := num(1, 9)
			if !ok {
				return n, false
			}
			for k := i - start; k < 9; k++ {
				frac *= 10
			}
			n.nsec = frac
		}
	}
	if rest := strings.TrimSpace(s[i:]); rest != "" {
		switch strings.ToUpper(rest) {
		case "AM":
			if n.hour < 1 || n.hour > 12 {
				return n, false
			}
			if n.hour == 12 {
				n.hour = 0
			}
		case "PM":
			if n.hour < 1 || n.hour > 12 {
				return n, false
			}
			if n.hour != 12 {
				n.hour += 12
			}
		default:
			return n, false
		}
	}
	if n.hour > 23 || n.min > 59 || n.sec > 59 {
		return n, false
	}
	return n, true
}

// parseISO reads the ISO 8601 forms that exports write, without allocating:
// 2006-01-02, then optionally ' ' or 'T' and 15:04, 15:04:05 or
// 15:04:05.999999999, then optionally (after an optional space) Z, UTC,
// -0700 or -07:00. Values without an offset are read in loc.
func parseISO(s string, loc *time.Location) (t time.Time, zoned, ok bool) {
	digits := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return
	}
	year, ok1 := digits(0, 4)
	month, ok2 := digits(5, 2)
	day, ok3 := digits(8, 2)
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 {
		return
	}
	var hour, min, sec, nsec int
	i := 10
	if i < len(s) && (s[i] == ' ' || s[i] == 'T') && i+6 <= len(s) && s[i+3] == ':' {
		var okh, okm bool
		hour, okh = digits(i+1, 2)
		min, okm = digits(i+4, 2)
		if !okh || !okm || hour > 23 || min > 59 {
			return
		}
		i += 6
		if i < len(s) && s[i] == ':' {
			var oks bool
			if sec, oks = digits(i+1, 2); !oks || sec > 59 {
				return
			}
			i += 3
			if i < len(s) && (s[i] == '.' || s[i] == ',') {
				i++
				start := i
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					if i-start < 9 {
						nsec = nsec*10 + int(s[i]-'0')
					}
					i++
				}
				if i == start {
					return
				}
				for k := i - start; k < 9; k++ {
					nsec *= 10
				}
			}
		}
	}
	offset := 0
	rest := s[i:]
	if len(rest) > 0 && i > 10 && rest[0] == ' ' {
		rest = rest[1:]
	}
	switch {
	case rest == "":
	case rest == "Z" || rest == "UTC" || rest == "GMT":
		zoned = true
	case len(rest) == 5 || len(rest) == 6 && rest[3] == ':':
		if rest[0] != '+' && rest[0] != '-' {
			return
		}
		h, okh := digits(len(s)-len(rest)+1, 2)
		m, okm := digits(len(s)-len(rest)+len(rest)-2, 2)
		if !okh || !okm || h > 23 || m > 59 {
			return
		}
		offset = (h*60 + m) * 60
		if rest[0] == '-' {
			offset = -offset
		}
		zoned = true
	default:
		return
	}
	if zoned {
		t = time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC).Add(-time.Duration(offset) * time.Second)
	} else {
		t = time.Date(year, time.Month(month), day, hour, min, sec, nsec, loc)
	}
	if day > daysIn(month, year) {
		return time.Time{}, false, false
	}
	return t, zoned, true
}

// daysIn returns the number of days of month (1 to 12) in year, in the
// proleptic Gregorian calendar of package time.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
