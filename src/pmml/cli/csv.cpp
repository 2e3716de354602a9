#include "csv.hpp"

#include <scorestream/error.hpp>

#include <charconv>
#include <cmath>
#include <fstream>

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
        if (cell == m) return Value::missing();
    double x = 0;
    const char* b = cell.data();
    const char* e = b + cell.size();
    if (*b == '+') ++b;
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
            char buf[40];
            auto r = std::to_chars(buf, buf + sizeof buf, v.as_number());
            return std::string(buf, r.ptr);
        }
    }
    return {};
}

}  // namespace scorestream::pmml::tools
