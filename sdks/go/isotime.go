package tessera

import (
	"regexp"
	"strconv"
	"time"
)

var isoUTC = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$`)

const dayMs = int64(86_400_000)

// parseISOTime is core's strict ISO 8601 UTC reading: epoch milliseconds, or false (impossible dates included).
func parseISOTime(value any) (int64, bool) {
	text, ok := value.(string)
	if !ok {
		return 0, false
	}
	m := isoUTC.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	year, month, day := n(m[1]), n(m[2]), n(m[3])
	days := []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if month < 1 || month > 12 {
		return 0, false
	}
	monthDays := days[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		monthDays = 29
	}
	if day < 1 || day > monthDays || n(m[4]) > 23 || n(m[5]) > 59 || n(m[6]) > 59 {
		return 0, false
	}
	millis := 0
	if m[7] != "" {
		frac := m[7]
		for len(frac) < 3 {
			frac += "0"
		}
		millis = n(frac)
	}
	t := time.Date(year, time.Month(month), day, n(m[4]), n(m[5]), n(m[6]), millis*1_000_000, time.UTC)
	return t.UnixMilli(), true
}

// isoString is JavaScript's toISOString: UTC with milliseconds.
func isoString(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

func isoDate(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02") }
