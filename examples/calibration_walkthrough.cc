// The seed notebooks' calibration experiment, done with simdquant: data with
// an outlier (and normal and Laplace data), quantized at 2, 4 and 8 bits with
// four ways of choosing the range (min-max, 99.9th and 99.99th percentiles,
// MSE-optimal) under both schemes. Prints a table; --csv PREFIX writes it and
// the data's histograms as CSV; --plot FILE.png also draws them (matplotlib).
//
// "MSE w/o outlier" leaves out the one element of largest |x|: for the first
// data set that is the notebook's planted outlier.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "simdquant/calibrate.h"
#include "simdquant/simdquant.h"

namespace {

using simdquant::QuantParams;
using simdquant::QuantSpec;
using simdquant::Scheme;

struct DataSet {
  const char* name;
  std::vector<float> x;
};

std::vector<DataSet> MakeDataSets() {
  std::mt19937 rng(2024);
  const size_t n = 10000;
  DataSet outlier{"uniform+outlier", {}};
  std::uniform_real_distribution<float> uniform(-50.0f, 150.0f);
  for (size_t i = 0; i < n; ++i) {
    outlier.x.push_back(std::round(uniform(rng) * 100.0f) / 100.0f);
  }
  outlier.x.push_back(1000.0f);  // the notebook's outlier
  DataSet normal{"normal", {}};
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) normal.x.push_back(gauss(rng));
  DataSet laplace{"laplace", {}};
  std::exponential_distribution<float> expo(1.0f);
  for (size_t i = 0; i < n; ++i) {
    laplace.x.push_back((i % 2 ? 1.0f : -1.0f) * expo(rng));
  }
  return {outlier, normal, laplace};
}

struct Method {
  const char* name;
  QuantParams (*calibrate)(const std::vector<float>&, const QuantSpec&);
};

const Method kMethods[] = {
    {"min-max",
     [](const std::vector<float>& x, const QuantSpec& s) {
       return simdquant::CalibrateMinMax(x.data(), x.size(), s);
     }},
    {"p99.9",
     [](const std::vector<float>& x, const QuantSpec& s) {
       return simdquant::CalibratePercentile(x.data(), x.size(), 99.9, s);
     }},
    {"p99.99",
     [](const std::vector<float>& x, const QuantSpec& s) {
       return simdquant::CalibratePercentile(x.data(), x.size(), 99.99, s);
     }},
    {"mse-optimal",
     [](const std::vector<float>& x, const QuantSpec& s) {
       return simdquant::CalibrateMse(x.data(), x.size(), s);
     }},
};

// x without its element of largest |x|.
std::vector<float> WithoutLargest(const std::vector<float>& x) {
  size_t largest = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    if (std::fabs(x[i]) > std::fabs(x[largest])) largest = i;
  }
  std::vector<float> rest = x;
  rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(largest));
  return rest;
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv_prefix, plot_file;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
      csv_prefix = argv[++i];
    } else if (strcmp(argv[i], "--plot") == 0 && i + 1 < argc) {
      plot_file = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--csv PREFIX] [--plot FILE.png]\n", argv[0]);
      return 2;
    }
  }
  if (!plot_file.empty() && csv_prefix.empty()) csv_prefix = plot_file;

  FILE* results = nullptr;
  if (!csv_prefix.empty()) {
    results = fopen((csv_prefix + ".results.csv").c_str(), "w");
    FILE* hist = fopen((csv_prefix + ".hist.csv").c_str(), "w");
    if (!results || !hist) {
      perror("fopen");
      return 1;
    }
    fprintf(results,
            "dataset,bits,scheme,method,clip_lo,clip_hi,scale,zero_point,"
            "mse,mse_without_outlier,sqnr_db\n");
    fprintf(hist, "dataset,bin_lo,bin_hi,count\n");
    for (const DataSet& d : MakeDataSets()) {
      const simdquant::MinMaxResult r = simdquant::MinMax(d.x.data(), d.x.size());
      const int bins = 200;
      const double width = (static_cast<double>(r.max) - r.min) / bins;
      std::vector<size_t> counts(bins, 0);
      for (float v : d.x) {
        const int b = static_cast<int>((v - r.min) / width);
        ++counts[static_cast<size_t>(b < bins ? b : bins - 1)];
      }
      for (int b = 0; b < bins; ++b) {
        fprintf(hist, "%s,%.9g,%.9g,%zu\n", d.name, r.min + b * width,
                r.min + (b + 1) * width, counts[static_cast<size_t>(b)]);
      }
    }
    fclose(hist);
  }

  printf("%-16s %4s %-6s %-12s %12s %4s %12s %16s %9s\n", "data", "bits",
         "scheme", "method", "scale", "zp", "MSE", "MSE w/o outlier",
         "SQNR dB");
  for (const DataSet& d : MakeDataSets()) {
    const std::vector<float> rest = WithoutLargest(d.x);
    for (int bits : {2, 4, 8}) {
      for (Scheme scheme : {Scheme::kAsymmetric, Scheme::kSymmetric}) {
        QuantSpec spec;
        spec.bits = bits;
        spec.scheme = scheme;
        spec.signedness = scheme == Scheme::kSymmetric
                              ? simdquant::Signedness::kSigned
                              : simdquant::Signedness::kUnsigned;
        for (const Method& m : kMethods) {
          const QuantParams p = m.calibrate(d.x, spec);
          const simdquant::ErrorStats all =
              simdquant::MeasureError(d.x.data(), d.x.size(), p);
          const simdquant::ErrorStats without =
              simdquant::MeasureError(rest.data(), rest.size(), p);
          const simdquant::CodeRange codes =
              simdquant::CodeRangeOf(p.bits, p.signedness, p.narrow_range);
          const char* scheme_name =
              scheme == Scheme::kSymmetric ? "sym" : "asym";
          printf("%-16s %4d %-6s %-12s %12.6g %4d %12.6g %16.6g %9.2f\n",
                 d.name, bits, scheme_name, m.name, p.scale, p.zero_point,
                 all.mse, without.mse, all.sqnr_db);
          if (results) {
            fprintf(results, "%s,%d,%s,%s,%.9g,%.9g,%.9g,%d,%.9g,%.9g,%.6f\n",
                    d.name, bits, scheme_name, m.name,
                    (codes.min - p.zero_point) * static_cast<double>(p.scale),
                    (codes.max - p.zero_point) * static_cast<double>(p.scale),
                    p.scale, p.zero_point, all.mse, without.mse, all.sqnr_db);
          }
        }
      }
    }
  }
  if (results) fclose(results);

  if (!plot_file.empty()) {
    const std::string command =
        std::string("/usr/bin/python3 '") + SIMDQUANT_SOURCE_DIR +
        "/examples/plot_calibration.py' '" + csv_prefix + ".results.csv' '" +
        csv_prefix + ".hist.csv' '" + plot_file + "'";
    if (system(command.c_str()) != 0) {
      fprintf(stderr,
              "plotting failed: it needs python3-matplotlib (apt-get install "
              "python3-matplotlib)\n");
      return 1;
    }
  }
  return 0;
}
