//go:build !race

package perfadvisor

const raceEnabled = false
