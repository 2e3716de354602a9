#pragma once
// Records of a conformance-corpus case for tests that compare two evaluation paths: the case's
// input rows in the model's input order, then the first rows again with one input at a time
// replaced by each of a list of values (missing, unlisted strings, huge numbers, ...).

#include "csv.hpp"

#include <scorestream/model/value.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace pmml_test {

/// The rows of `table` (a case's input.csv, read with read_csv) as records, cells read as the
/// tools read them ("NA" missing), in the order of `inputs` (a column the file lacks is missing);
/// then for each of the first `first` rows, each input and each of `values`, that row with that
/// input replaced. The records' strings point into `table`, which must outlive them.
inline std::vector<std::vector<scorestream::Value>> corpus_rows(
    const scorestream::pmml::tools::CsvTable& table, const std::vector<std::string>& inputs,
    std::size_t first, std::initializer_list<scorestream::Value> values) {
    namespace tools = scorestream::pmml::tools;
    std::vector<std::vector<scorestream::Value>> rows;
    for (const auto& cells : table.rows) {
        std::vector<scorestream::Value> row(inputs.size());
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            int c = table.column(inputs[i]);
            if (c >= 0) row[i] = tools::cell_value(cells[static_cast<std::size_t>(c)], {"NA"});
        }
        rows.push_back(std::move(row));
    }
    const std::size_t base = rows.size();
    for (std::size_t r = 0; r < base && r < first; ++r)
        for (std::size_t i = 0; i < inputs.size(); ++i)
            for (const scorestream::Value& v : values) {
                rows.push_back(rows[r]);
                rows.back()[i] = v;
            }
    return rows;
}

}  // namespace pmml_test
