// The CSV-line and JSON-object decoders: thin adapters that fill io::row the way the file sources do.

#include <scorestream/io/detail/text.hpp>
#include <scorestream/kafka/decoders.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace scorestream::kafka {

// ---- CSV --------------------------------------------------------------------------------------

csv_decoder::csv_decoder(csv_decoder_options o) : o_(std::move(o)) {
    if (o_.columns.empty()) throw invalid_value_error("csv_decoder: columns must name the fields of a line");
    if (o_.separator == o_.quote) throw invalid_value_error("csv_decoder: separator and quote must differ");
    schema_ = io::row_schema::make(o_.columns, {o_.name, o_.data_type_column, o_.data_type});
    if (!o_.data_type_column.empty() && !schema_->data_type_index())
        throw invalid_value_error("csv_decoder: data_type_column '" + o_.data_type_column +
                                  "' is not a column");
    for (const auto& n : o_.numeric_columns) {
        auto i = schema_->index_of(n);
        if (!i) throw invalid_value_error("csv_decoder: numeric column '" + n + "' is not a column");
        numeric_.push_back(*i);
    }
    shape_.assign(schema_, 0);
    shape_.push_string(std::string(32 * schema_->size(), ' '));
    for (std::size_t k = 1; k < schema_->size(); ++k) shape_.push_missing();
}

bool csv_decoder::operator()(const message_view& m, io::row& out, std::string& why) const {
    // A row the pipeline moved away arrives without storage: give it a full row's capacity at once
    // (two allocations) instead of letting every cell and byte grow it.
    if (out.schema() != schema_) out = shape_;
    out.assign(schema_, 0);
    std::string_view line = m.payload;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    auto push = [&](std::string_view cell, bool quoted) {
        const bool missing = !quoted && std::find(o_.missing_values.begin(), o_.missing_values.end(), cell) !=
                                            o_.missing_values.end();
        double x = 0;
        std::string_view text;
        if (missing)
            out.push_missing();
        else if (o_.parse_numbers && io::detail::parse_number(cell, x, text))
            out.push_number(x, text);
        else
            out.push_string(cell);
    };
    std::size_t i = 0;
    for (;;) {
        // one cell
        if (i < line.size() && line[i] == o_.quote) {
            ++i;
            quoted_.clear();
            bool closed = false;
            while (i < line.size()) {
                char c = line[i++];
                if (c == o_.quote) {
                    if (i < line.size() && line[i] == o_.quote) {
                        quoted_.push_back(o_.quote);
                        ++i;
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    quoted_.push_back(c);
                }
            }
            if (!closed) {
                why = "unterminated quoted cell " + std::to_string(out.size() + 1);
                return false;
            }
            if (i < line.size() && line[i] != o_.separator) {
                why = std::string("unexpected character '") + line[i] + "' after the closing quote of cell " +
                      std::to_string(out.size() + 1);
                return false;
            }
            push(quoted_, true);
        } else {
            // unquoted: the cell is the text up to the next separator, read in place
            std::size_t end = line.find(o_.separator, i);
            if (end == std::string_view::npos) end = line.size();
            push(line.substr(i, end - i), false);
            i = end;
        }
        if (i >= line.size()) break;
        ++i;  // the separator
    }
    if (out.size() != schema_->size()) {
        why = "expected " + std::to_string(schema_->size()) + " cells, got " + std::to_string(out.size());
        return false;
    }
    for (std::size_t k : numeric_)
        if (!out[k].is_number()) {
            why = "field '" + schema_->names()[k] + "' must be a number, got '" + std::string(out[k].text()) +
                  "'";
            return false;
        }
    if (!o_.data_type_column.empty() && out.data_type().empty()) {
        why = "no data type in column '" + o_.data_type_column + "'";
        return false;
    }
    return true;
}

// ---- JSON -------------------------------------------------------------------------------------

json_decoder::json_decoder(json_decoder_options o) : o_(std::move(o)) {}

io::schema_ptr json_decoder::layout(const std::string& keys, std::string& why) {
    auto it = layouts_.find(keys);
    if (it != layouts_.end()) return it->second;
    if (layouts_.size() >= o_.max_layouts) {
        why = "more than " + std::to_string(o_.max_layouts) + " distinct key layouts";
        return nullptr;
    }
    std::vector<std::string> names;
    for (std::size_t b = 0, e; b < keys.size(); b = e + 1) {
        e = keys.find('\0', b);
        names.emplace_back(keys, b, e - b);
    }
    try {
        auto s = io::row_schema::make(std::move(names), {o_.name, o_.data_type_field, o_.data_type});
        layouts_.emplace(keys, s);
        return s;
    } catch (const std::exception& e) {
        why = e.what();
        return nullptr;
    }
}

bool json_decoder::operator()(const message_view& m, io::row& out, std::string& why) {
    nlohmann::json doc = nlohmann::json::parse(m.payload.begin(), m.payload.end(), nullptr, false);
    if (doc.is_discarded()) {
        why = "invalid JSON";
        return false;
    }
    if (!doc.is_object()) {
        why = std::string("expected a JSON object, got ") + doc.type_name();
        return false;
    }
    out.assign(nullptr, 0);
    keys_.clear();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        keys_.append(it.key()).push_back('\0');
        const auto& v = it.value();
        if (v.is_null()) {
            out.push_missing();
        } else if (v.is_boolean()) {
            const bool b = v.get<bool>();
            out.push_number(b ? 1.0 : 0.0, b ? "true" : "false");
        } else if (v.is_number()) {
            const std::string text = v.dump();
            out.push_number(v.get<double>(), text);
        } else if (v.is_string()) {
            out.push_string(v.get_ref<const std::string&>());
        } else {
            why = "field '" + it.key() + "' holds " + v.type_name() + "; only flat objects are supported";
            return false;
        }
    }
    auto schema = layout(keys_, why);
    if (!schema) return false;
    out.set_schema(std::move(schema));
    for (const auto& r : o_.required) {
        if (out.get(r).is_missing()) {
            why = "required field '" + r + "' is missing or null";
            return false;
        }
    }
    if (!o_.data_type_field.empty() && out.data_type().empty()) {
        why = "no '" + o_.data_type_field + "' field (the data type)";
        return false;
    }
    return true;
}

}  // namespace scorestream::kafka
