package tessera

import (
	"reflect"
	"sync"
)

// seen is what this process has accepted, so nothing goes backwards within it: the highest trust-bundle serial
// per vendor root, the highest license serial per License Manager and license, and the highest time read from
// each clock. One per process (processSeen): a product's Watch and Connect talk to the same vendor.
type seen struct {
	mu        sync.Mutex
	bundles   map[string]int64
	licenses  map[string]int64
	highWater map[Clock]int64
}

func newSeen() *seen {
	return &seen{bundles: map[string]int64{}, licenses: map[string]int64{}, highWater: map[Clock]int64{}}
}

var processSeen = newSeen()

func (s *seen) highestBundleSerial(rootKids []string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	highest := int64(0)
	for _, kid := range rootKids {
		highest = max(highest, s.bundles[kid])
	}
	return highest
}

func (s *seen) acceptBundleSerial(rootKids []string, serial int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kid := range rootKids {
		s.bundles[kid] = max(s.bundles[kid], serial)
	}
}

// knownLicenseSerial is the highest serial accepted for this license at this LM, 0 when none.
func (s *seen) knownLicenseSerial(lmid, licenseID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.licenses[lmid+"/"+licenseID]
}

func (s *seen) acceptLicenseSerial(lmid, licenseID string, serial int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := lmid + "/" + licenseID
	s.licenses[key] = max(s.licenses[key], serial)
}

// readClock reads the wall clock and answers the highest time read from it before (nil the first time), so a
// clock set back while the product runs is caught by evaluate (CLOCK_TAMPERED).
func (s *seen) readClock(clock Clock) (int64, *int64) {
	now := clock.Now().UnixMilli()
	if !reflect.TypeOf(clock).Comparable() {
		return now, nil // a clock that cannot be a map key keeps no memory
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	before, read := s.highWater[clock]
	if !read || now > before {
		s.highWater[clock] = now
	}
	if !read {
		return now, nil
	}
	return now, &before
}
