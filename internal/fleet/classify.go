package fleet

import "strings"

// class says what a metric name means to the fleet rules.
type class int

const (
	classNone class = iota
	classCPU
	classGoroutines
	classAux
)

// auxKind is one cross-signal series kind (docs/design.md §2 rules 4–7 evidence).
type auxKind int

const (
	auxNone               auxKind = iota
	auxAllocBytes                 // bytes allocated (counter)
	auxGCCycles                   // GC cycles (counter, or a histogram/summary count)
	auxGCPause                    // seconds spent in GC pauses (summary/histogram sum)
	auxKafkaFetchRate             // consumer fetch requests per second (gauge)
	auxKafkaRecordsPerReq         // records per fetch request (gauge)
	auxDBConnections              // open pool connections (gauge / up-down counter)
	auxDBConnCreates              // connections created (histogram count of create_time)
	auxDBConnClosed               // connections closed by pool limits (counters)
	auxDBWaits                    // waits for a free connection (counter)
	auxRequests                   // requests served (histogram count or counter)
	auxDNSCacheHits               // CoreDNS cache hits (counter)
	auxDNSCacheMisses             // CoreDNS cache misses (counter)
	auxDNSCacheRequests           // CoreDNS cache look-ups (counter; misses = requests - hits)
	auxDNSLookups                 // client-side DNS lookups (histogram count)
	auxKinds
)

// auxIsLevel: the series is a level to average, not a counter to differentiate.
var auxIsLevel = [auxKinds]bool{
	auxKafkaFetchRate:     true,
	auxKafkaRecordsPerReq: true,
	auxDBConnections:      true,
}

// auxMeanOfLevels: a per-stream figure averaged over streams, not summed
// (records per request of several consumers).
var auxMeanOfLevels = [auxKinds]bool{auxKafkaRecordsPerReq: true}

// Fleet-wide signals derived from the cluster's CoreDNS.
const (
	signalCoreDNSHitRatio = "coredns_cache_hit_ratio"
	signalCoreDNSMisses   = "coredns_cache_misses"
)

// signalKinds maps the catalog's metric signal names (metric_evidence) to
// the series kinds that carry them.
var signalKinds = map[string]auxKind{
	"alloc_bytes":               auxAllocBytes,
	"gc_cycles":                 auxGCCycles,
	"gc_pause_seconds":          auxGCPause,
	"kafka_fetch_rate":          auxKafkaFetchRate,
	"kafka_records_per_request": auxKafkaRecordsPerReq,
	"db_connections":            auxDBConnections,
	"db_connection_creates":     auxDBConnCreates,
	"db_connections_closed":     auxDBConnClosed,
	"db_connection_waits":       auxDBWaits,
	"requests":                  auxRequests,
	"dns_lookups":               auxDNSLookups,
}

// auxPart picks which number of a histogram or summary point a series holds.
type auxPart int

const (
	partValue auxPart = iota
	partCount
	partSum
)

type metricClass struct {
	class class
	src   int // cpuSources index for classCPU
	aux   auxKind
	part  auxPart // for aux: histogram/summary count or sum
	part2 auxKind // a summary/histogram also feeds a second kind from its sum
}

var auxNames = map[string]metricClass{
	"go_memstats_alloc_bytes_total":        {class: classAux, aux: auxAllocBytes},
	"go_memstats_alloc_bytes":              {class: classAux, aux: auxAllocBytes}, // receiver with suffixes trimmed
	"go.memory.allocated":                  {class: classAux, aux: auxAllocBytes},
	"go_gc_duration_seconds":               {class: classAux, aux: auxGCCycles, part: partCount, part2: auxGCPause},
	"jvm.gc.duration":                      {class: classAux, aux: auxGCCycles, part: partCount, part2: auxGCPause},
	"go_gc_cycles_total_gc_cycles_total":   {class: classAux, aux: auxGCCycles},
	"db.client.connection.count":           {class: classAux, aux: auxDBConnections},
	"db.client.connections.usage":          {class: classAux, aux: auxDBConnections},
	"go_sql_open_connections":              {class: classAux, aux: auxDBConnections},
	"db.client.connection.create_time":     {class: classAux, aux: auxDBConnCreates, part: partCount},
	"db.client.connections.create_time":    {class: classAux, aux: auxDBConnCreates, part: partCount},
	"go_sql_max_idle_closed_total":         {class: classAux, aux: auxDBConnClosed},
	"go_sql_max_lifetime_closed_total":     {class: classAux, aux: auxDBConnClosed},
	"go_sql_max_idle_time_closed_total":    {class: classAux, aux: auxDBConnClosed},
	"go_sql_wait_count_total":              {class: classAux, aux: auxDBWaits},
	"http.server.request.duration":         {class: classAux, aux: auxRequests, part: partCount},
	"http.server.duration":                 {class: classAux, aux: auxRequests, part: partCount},
	"rpc.server.duration":                  {class: classAux, aux: auxRequests, part: partCount},
	"http_server_request_duration_seconds": {class: classAux, aux: auxRequests, part: partCount},
	"http_server_requests_seconds":         {class: classAux, aux: auxRequests, part: partCount},
	"http_requests_total":                  {class: classAux, aux: auxRequests},
	"grpc_server_handled_total":            {class: classAux, aux: auxRequests},
	"coredns_cache_hits_total":             {class: classAux, aux: auxDNSCacheHits},
	"coredns_cache_misses_total":           {class: classAux, aux: auxDNSCacheMisses},
	"coredns_cache_requests_total":         {class: classAux, aux: auxDNSCacheRequests},
	"dns.lookup.duration":                  {class: classAux, aux: auxDNSLookups, part: partCount},
}

// classify maps a metric name to its meaning; most names mean nothing here
// and cost one map look-up.
func classify(name string) metricClass {
	if i, ok := cpuSourceIndex[name]; ok {
		return metricClass{class: classCPU, src: i}
	}
	if goroutineNames[name] {
		return metricClass{class: classGoroutines}
	}
	if c, ok := auxNames[name]; ok {
		return c
	}
	// Kafka consumer metrics come in many spellings: OTel's
	// kafka.consumer.fetch_rate, JMX's fetch-rate, the JMX exporter's
	// kafka_consumer_fetch_manager_metrics_fetch_rate.
	if strings.Contains(name, "fetch") || strings.Contains(name, "records") {
		n := normName(name)
		consumer := strings.Contains(n, "consumer")
		switch {
		case n == "fetch_rate" || consumer && strings.HasSuffix(n, "_fetch_rate"):
			return metricClass{class: classAux, aux: auxKafkaFetchRate}
		case n == "records_per_request_avg" || consumer && strings.HasSuffix(n, "_records_per_request_avg"):
			return metricClass{class: classAux, aux: auxKafkaRecordsPerReq}
		}
	}
	return metricClass{}
}
