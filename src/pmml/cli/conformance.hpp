#pragma once
// The conformance runner: evaluates every case of a corpus laid out as ../shared/pmml-conformance
// (MANIFEST.tsv; <case>/model.pmml, input.csv, expected.csv) and compares with the producer's own
// results at each case's tolerance (see that corpus's README.md for the rule).

#include <iosfwd>
#include <optional>
#include <string>

namespace scorestream::pmml::tools {

struct ConformanceOptions {
    std::string dir;
    std::string expect_file;        ///< optional list: "<case> pass" or "<case> skip <reason>"
    std::optional<double> rel_tol;  ///< override every case's rel_tol
    std::optional<double> abs_tol;  ///< override every case's abs_tol
    std::string only;               ///< run only cases whose name contains this
    std::string markdown;           ///< when set, also write a Markdown table of the results here
    bool text_cells = false;        ///< pass every cell as text (text_value) instead of typed
};

struct ConformanceSummary {
    int passed = 0, failed = 0, skipped = 0;
};

/// Runs the corpus, printing one line per case and the closing summary line to `out`.
ConformanceSummary run_conformance(const ConformanceOptions& options, std::ostream& out);

}  // namespace scorestream::pmml::tools
