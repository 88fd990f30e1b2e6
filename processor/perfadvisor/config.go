package perfadvisor

import "github.com/perfadvisor/perfadvisor/internal/advisor"

// Config of the perfadvisor processor: the advisor's schema, which the CLI's
// --config reads too, so both doors judge with one set of keys and defaults.
type Config = advisor.Config

// LimitsConfig caps every piece of state the processor keeps.
type LimitsConfig = advisor.LimitsConfig
