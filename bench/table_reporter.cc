#include "bench/table_reporter.h"

#include <stdio.h>

#include <algorithm>
#include <utility>

namespace simdquant {
namespace bench {

bool SplitName(const std::string& name, std::string* row, std::string* impl) {
  const size_t n_pos = name.rfind("/n:");
  if (n_pos == std::string::npos) return false;
  const size_t impl_pos = name.rfind('/', n_pos - 1);
  if (impl_pos == std::string::npos) return false;
  *impl = name.substr(impl_pos + 1, n_pos - impl_pos - 1);
  *row = name.substr(0, impl_pos) + name.substr(n_pos);
  return true;
}

TableReporter::TableReporter(std::vector<std::string> columns,
                             std::string best, std::string baseline)
    : columns_(std::move(columns)),
      best_(std::move(best)),
      baseline_(std::move(baseline)) {}

TableReporter TableReporter::Compact(std::vector<std::string> targets) {
  TableReporter t(targets, targets.front());
  t.compact_ = true;
  return t;
}

// What a user would pick instead of simdquant, measured in the same run.
constexpr const char* kPeers[] = {"plain",    "eigen", "xnnpack",    "ggml",
                                  "ggml_ref", "ort",   "nth_element"};

std::string PeerNames(const char* separator) {
  std::string names;
  for (const char* peer : kPeers) {
    names += (names.empty() ? "" : separator) + std::string(peer);
  }
  return names;
}

// The fastest peer of a row: {name, value}, or {nullptr, 0} if it has none.
std::pair<const char*, double> BestPeer(
    const std::map<std::string, double>& values) {
  std::pair<const char*, double> best{nullptr, 0.0};
  for (const char* peer : kPeers) {
    const auto it = values.find(peer);
    if (it != values.end() && it->second > best.second) best = {peer, it->second};
  }
  return best;
}

bool TableReporter::ReportContext(const Context& context) {
  fprintf(stderr, "%d CPUs at %.0f MHz; running benchmarks, table follows.\n",
          context.cpu_info.num_cpus, context.cpu_info.cycles_per_second / 1e6);
  return true;
}

void TableReporter::ReportRuns(const std::vector<Run>& runs) {
  // With repetitions, keep only the median; without, the single run.
  bool has_median = false;
  for (const Run& run : runs) has_median |= run.aggregate_name == "median";
  for (const Run& run : runs) {
    if (run.error_occurred) {
      fprintf(stderr, "%s: %s\n", run.benchmark_name().c_str(),
              run.error_message.c_str());
      continue;
    }
    if (has_median ? run.aggregate_name != "median"
                   : run.run_type != Run::RT_Iteration) {
      continue;
    }
    std::string row, impl;
    if (!SplitName(run.run_name.function_name, &row, &impl)) continue;
    const auto it =
        run.counters.find(compact_ ? "items_per_second" : "bytes_per_second");
    if (it == run.counters.end()) continue;
    if (rows_.find(row) == rows_.end()) row_order_.push_back(row);
    rows_[row][impl] = it->second.value / 1e9;
    ++runs_seen_;
    if (compact_) {
      fprintf(stderr, "\r%4zu measured: %-70.70s", runs_seen_,
              run.run_name.function_name.c_str());
    } else if (runs_seen_ % 50 == 0) {
      fprintf(stderr, ".");
    }
  }
}

void TableReporter::Finalize() {
  fprintf(stderr, "\n");
  if (compact_) return PrintCompact();
  // Only columns that have at least one value.
  std::vector<std::string> columns;
  for (const std::string& c : columns_) {
    for (const auto& [row, values] : rows_) {
      if (values.count(c)) {
        columns.push_back(c);
        break;
      }
    }
  }
  size_t row_width = 4;
  for (const std::string& row : row_order_) {
    row_width = std::max(row_width, row.size());
  }
  const auto ratio = [](const std::map<std::string, double>& values,
                        const std::string& num, const std::string& den,
                        double scale) {
    const auto n = values.find(num), d = values.find(den);
    if (n == values.end() || d == values.end() || d->second <= 0.0) {
      return std::string("-");
    }
    char buf[32];
    snprintf(buf, sizeof(buf), scale == 100.0 ? "%.0f%%" : "%.1fx",
             n->second / d->second * scale);
    return std::string(buf);
  };

  printf("\nThroughput in GB/s (bytes read + written per second, median); "
         "ratios for %s.\n\n",
         best_.c_str());
  printf("%-*s", static_cast<int>(row_width), "case");
  for (const std::string& c : columns) printf(" %9s", c.c_str());
  const std::string vs_baseline =
      baseline_ == "reference" ? "vs ref" : "vs " + baseline_;
  printf(" %9s %9s %9s %9s\n", vs_baseline.c_str(), "vs plain", "vs peer",
         "of memcpy");
  for (const std::string& row : row_order_) {
    const auto& values = rows_[row];
    printf("%-*s", static_cast<int>(row_width), row.c_str());
    for (const std::string& c : columns) {
      const auto it = values.find(c);
      if (it == values.end()) {
        printf(" %9s", "-");
      } else {
        printf(" %9.2f", it->second);
      }
    }
    // The fastest of what a user would pick instead, in the same run.
    std::map<std::string, double> with_peer = values;
    const auto best = BestPeer(values);
    if (best.first != nullptr) with_peer["peer"] = best.second;
    printf(" %9s %9s %9s %9s\n",
           ratio(values, best_, baseline_, 1.0).c_str(),
           ratio(values, best_, "plain", 1.0).c_str(),
           ratio(with_peer, best_, "peer", 1.0).c_str(),
           ratio(values, best_, "memcpy", 100.0).c_str());
  }
  fflush(stdout);
}

void TableReporter::PrintCompact() {
  // Rows are all at one size: drop "/n:65536" and fit the name in 36.
  constexpr int kName = 36;
  printf("\nG elements/s (median of repetitions), 64K elements, one thread; "
         "\"best peer\" is the\nfastest of %s in the same run; \"x\" is %s "
         "over it.\n\n", PeerNames(", ").c_str(),
         best_.c_str());
  printf("%-*s", kName, "kernel");
  for (const std::string& c : columns_) printf(" %7.7s", c.c_str());
  printf(" %9s %7s %6s\n", "best peer", "G el/s", "x");
  for (const std::string& row : row_order_) {
    auto values = rows_.at(row);  // a copy: printing changes no results
    // Kernels measured through the public entry point only (percentiles):
    // dispatched to the best target, so shown in its column.
    if (values.count("simdquant")) values[best_] = values["simdquant"];
    std::string name = row.substr(0, row.rfind("/n:"));
    if (name.size() > static_cast<size_t>(kName)) {
      name = name.substr(0, kName - 1) + "~";
    }
    printf("%-*s", kName, name.c_str());
    for (const std::string& c : columns_) {
      const auto it = values.find(c);
      it == values.end() ? printf(" %7s", "-") : printf(" %7.2f", it->second);
    }
    const auto [peer, peer_value] = BestPeer(values);
    const auto best = values.find(best_);
    if (peer == nullptr || best == values.end()) {
      printf(" %9s %7s %6s\n", "-", "-", "-");
    } else {
      printf(" %9s %7.2f %5.1fx\n", peer, peer_value, best->second / peer_value);
    }
  }
  fflush(stdout);
}

}  // namespace bench
}  // namespace simdquant
