// Prints Google Benchmark results as one table: a row per kernel x container x
// bits x mode x size, a column per implementation (each target, then the
// reference, the plain loop, Eigen, memcpy), in GB/s (bytes read + written
// per second, median of repetitions when there are several), and for the
// best target its speedup over the reference and the plain loop and its
// share of memcpy's bandwidth.
#ifndef SIMDQUANT_BENCH_TABLE_REPORTER_H_
#define SIMDQUANT_BENCH_TABLE_REPORTER_H_

#include <map>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"

namespace simdquant {
namespace bench {

class TableReporter : public benchmark::BenchmarkReporter {
 public:
  // `columns`: implementation names in display order; `best`: the column
  // the ratios are computed for; the first ratio is against `baseline`.
  TableReporter(std::vector<std::string> columns, std::string best,
                std::string baseline = "reference");
  // The default run's table instead (bench/run.sh without --full): at most
  // 120 columns, G elements/s per target, then the best peer and the best
  // target's ratio to it; progress on stderr.
  static TableReporter Compact(std::vector<std::string> targets);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  void PrintCompact();

  bool compact_ = false;
  std::vector<std::string> columns_;
  std::string best_, baseline_;
  std::vector<std::string> row_order_;
  // row -> implementation -> GB/s (compact: G elements/s)
  std::map<std::string, std::map<std::string, double>> rows_;
  size_t runs_seen_ = 0;
};

// The peers, what a user would pick instead of simdquant (the "best peer"
// and "vs peer" columns choose among them), joined by `separator`.
std::string PeerNames(const char* separator);

// Splits "Group/.../<impl>/n:<count>" into {row, impl}; row keeps n.
bool SplitName(const std::string& name, std::string* row, std::string* impl);

}  // namespace bench
}  // namespace simdquant

#endif  // SIMDQUANT_BENCH_TABLE_REPORTER_H_
