#include "csv.hpp"

#include "decimal.hpp"

#include <scorestream/error.hpp>
#include <scorestream/pmml/model.hpp>

#include <charconv>
#include <cmath>
#include <fstream>
#include <unordered_map>

namespace scorestream::pmml::tools {

int CsvTable::column(std::string_view name) const {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return static_cast<int>(i);
    return -1;
}

std::vector<std::string> split_csv_line(std::string_view line) {
    std::vector<std::string> cells;
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    cur.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cur.push_back(c);
            }
        } else if (c == '"' && cur.empty()) {
            quoted = true;
        } else if (c == ',') {
            cells.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    cells.push_back(std::move(cur));
    return cells;
}

CsvTable read_csv(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error("cannot open '" + path + "'");
    CsvTable t;
    std::string line;
    bool first = true;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (first) {
            t.header = split_csv_line(line);
            first = false;
            continue;
        }
        if (line.empty()) continue;
        auto cells = split_csv_line(line);
        if (cells.size() != t.header.size())
            throw parse_error("'" + path + "' line " + std::to_string(n) + ": " +
                              std::to_string(cells.size()) + " cells, the header has " +
                              std::to_string(t.header.size()));
        t.rows.push_back(std::move(cells));
    }
    if (first) throw parse_error("'" + path + "' is empty (no header row)");
    return t;
}

std::string csv_cell(std::string_view text) {
    if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

Value cell_value(const std::string& cell, const std::vector<std::string>& missing_markers) {
    if (cell.empty()) return Value::missing();
    for (const auto& m : missing_markers)
        if (cell.size() == m.size() && cell[0] == m[0] && cell == m) return Value::missing();
    double x = 0;
    const char* b = cell.data();
    const char* e = b + cell.size();
    if (*b == '+') ++b;
    if (b == e) return Value::string(cell);
    // What std::from_chars can read starts with a digit, a point, inf or nan (after a minus sign):
    // any other first character makes the cell a string without asking either parser.
    char c = *b == '-' && b + 1 != e ? b[1] : *b;
    if ((c >= '0' && c <= '9') || c == '.') {
        if (*b != '+' && detail::parse_simple_decimal(b, e, x)) return Value::number(x, cell);
    } else if (!(c == 'i' || c == 'I' || c == 'n' || c == 'N')) {
        return Value::string(cell);
    }
    auto r = std::from_chars(b, e, x);
    if (r.ec == std::errc() && r.ptr == e && b != e) return Value::number(x, cell);
    return Value::string(cell);
}

std::string value_text(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::missing:
            return {};
        case Value::Kind::string:
            return std::string(v.text());
        case Value::Kind::number: {
            // PMML's (and Java's) spellings, as the library formats numbers for texts: to_chars
            // would write nan, -nan and inf.
            const double x = v.as_number();
            if (std::isnan(x)) return "NaN";
            if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
            char buf[40];
            auto r = std::to_chars(buf, buf + sizeof buf, x);
            return std::string(buf, r.ptr);
        }
    }
    return {};
}

CsvTable group_rows(const CsvTable& table, int group, const std::vector<std::string>& missing_markers) {
    CsvTable out;
    out.header = table.header;
    std::unordered_map<std::string, std::size_t> index;
    std::vector<std::vector<std::vector<std::string>>> items;  // group -> column -> cells
    auto g = static_cast<std::size_t>(group);
    for (const auto& row : table.rows) {
        if (g >= row.size()) continue;
        auto [it, fresh] = index.emplace(row[g], out.rows.size());
        if (fresh) {
            out.rows.emplace_back(table.header.size());
            out.rows.back()[g] = row[g];
            items.emplace_back(table.header.size());
        }
        for (std::size_t j = 0; j < row.size() && j < table.header.size(); ++j) {
            if (j == g || cell_value(row[j], missing_markers).is_missing()) continue;
            items[it->second][j].push_back(row[j]);
        }
    }
    for (std::size_t r = 0; r < out.rows.size(); ++r)
        for (std::size_t j = 0; j < table.header.size(); ++j)
            if (j != g) out.rows[r][j] = item_list(items[r][j]);
    return out;
}

}  // namespace scorestream::pmml::tools
