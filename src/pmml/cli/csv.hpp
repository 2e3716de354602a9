#pragma once
// Minimal CSV reading/writing for the scorestream-pmml tool: a header row, comma separator,
// optional double quotes. Not part of the library API.

#include <scorestream/model/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scorestream::pmml::tools {

struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    int column(std::string_view name) const;
};

/// Reads a CSV file; throws scorestream::io_error / parse_error.
CsvTable read_csv(const std::string& path);

/// Splits one CSV line into cells (double quotes honoured).
std::vector<std::string> split_csv_line(std::string_view line);

/// Quotes a cell when it needs it.
std::string csv_cell(std::string_view text);

/// A Value for a cell: missing for an empty cell or one of `missing_markers`, a number (keeping
/// its text) when the cell parses as one, a string otherwise. The Value points into `cell`.
Value cell_value(const std::string& cell, const std::vector<std::string>& missing_markers);

/// Missing-value markers with a quick first test: the lengths and first characters they have, so
/// that most cells are told apart from every marker by two bit tests.
struct Markers {
    std::vector<std::string> texts;
    std::uint64_t sizes = 0;       ///< bit n: a marker of n bytes (n < 64); bit 0: one longer
    std::uint64_t firsts[4] = {};  ///< bit c: a marker starting with byte c
    explicit Markers(std::vector<std::string> t) : texts(std::move(t)) {
        for (const auto& m : texts) {
            if (m.empty()) continue;
            sizes |= std::uint64_t{1} << (m.size() < 64 ? m.size() : 0);
            auto c = static_cast<unsigned char>(m[0]);
            firsts[c >> 6] |= std::uint64_t{1} << (c & 63);
        }
    }
    /// True when the (non-empty) cell is one of the markers.
    bool match(const std::string& cell) const noexcept {
        auto c = static_cast<unsigned char>(cell[0]);
        if (!((sizes >> (cell.size() < 64 ? cell.size() : 0)) & 1) || !((firsts[c >> 6] >> (c & 63)) & 1))
            return false;
        for (const auto& m : texts)
            if (cell == m) return true;
        return false;
    }
};

/// A Value for a cell as text: missing for an empty cell or one of `missing_markers`, otherwise the
/// cell as a string, whatever it holds; the model reads numbers for its numeric fields itself (as a
/// user holding a record's cells as text would pass them). The Value points into `cell`.
/// Inline: per cell it costs less than a call.
inline Value text_value(const std::string& cell, const Markers& missing_markers) {
    if (cell.empty() || missing_markers.match(cell)) return Value::missing();
    return Value::string(cell);
}
inline Value text_value(const std::string& cell, const std::vector<std::string>& missing_markers) {
    if (cell.empty()) return Value::missing();
    for (const auto& m : missing_markers)
        if (cell == m) return Value::missing();
    return Value::string(cell);
}

/// Grouped input (a model with a MiningField of usageType="group"): one row per distinct value of
/// column `group`, in order of first appearance; every other column holds the group's non-missing
/// cells as one item list (scorestream::pmml::item_list), or stays empty when it has none.
CsvTable group_rows(const CsvTable& table, int group, const std::vector<std::string>& missing_markers);

/// Full-precision text of a value for output files.
std::string value_text(const Value& v);

}  // namespace scorestream::pmml::tools
