//go:build race

package perfadvisor

// raceEnabled: the race detector pads every allocation and runs several
// times slower, so heap measurements are skipped under it.
const raceEnabled = true
