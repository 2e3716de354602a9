#pragma once
// JSON lines connectors (one JSON document per line; nlohmann-json does the parsing).
//
// json_lines_source reads io::row records: each non-blank line is one flat JSON object. Numbers
// become numbers (keeping their text as written), strings strings, true/false the numbers 1/0
// (with the text "true"/"false"), null missing. A nested object or array is an error naming the
// field by default, or its compact JSON text as a string with nested = json_nested::as_text.
// Rows whose keys are the same, in the same order, share one schema object, so feature binding
// is done once per layout. Invalid JSON, a line that is not an object, a duplicate key or a nested
// value is reported as pull::error naming the file and line; reading goes on with the next line.
//
// json_lines_sink writes io::row records; scored_json_lines_sink<T> writes Scored<T> results, one
// object per line.
//
// Thread-safety: each source or sink is used by one thread at a time.

#include <scorestream/error.hpp>
#include <scorestream/io/detail/columns.hpp>
#include <scorestream/io/detail/line_reader.hpp>
#include <scorestream/io/detail/output.hpp>
#include <scorestream/io/detail/text.hpp>
#include <scorestream/io/row.hpp>
#include <scorestream/stream/scored.hpp>
#include <scorestream/stream/source.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace scorestream::io {

namespace detail {
/// A Value as JSON: numbers, strings, null for missing. (NaN and infinities become null.)
inline nlohmann::ordered_json to_json(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::missing:
            return nullptr;
        case Value::Kind::number:
            return v.as_number();
        case Value::Kind::string:
            return std::string(v.text());
    }
    return nullptr;
}
}  // namespace detail

/// What a json_lines_source does with a field whose value is an object or an array.
enum class json_nested : std::uint8_t {
    error,    ///< the line is an error naming the field
    as_text,  ///< the field is a string holding the value's compact JSON text
};

struct json_lines_options {
    /// The field holding each row's data type (routing key). A line without it is an error unless
    /// `data_type` gives a fallback.
    std::string data_type_field;
    /// The data type of every row; with data_type_field, the fallback when that field is absent or null.
    std::string data_type;
    json_nested nested = json_nested::error;
    /// Distinct key layouts kept (each is one schema). A line with a new layout beyond this is an error:
    /// schemas are never dropped while the source lives, so a layout's identity is never reused.
    std::size_t max_layouts = 1024;
    /// How errors and row origins name the input; default: the file path (or "<stream>").
    std::string name;
};

/// Reads io::row records from JSON lines. See the top of this header.
class json_lines_source {
public:
    using value_type = row;

    /// Reads the file at `path`; an unreadable file is reported by the first next(), then the source ends.
    explicit json_lines_source(const std::filesystem::path& path, json_lines_options options = {})
        : options_(std::move(options)), reader_(path) {
        if (options_.name.empty()) options_.name = path.string();
    }
    /// Reads from `in`, which must outlive the source.
    explicit json_lines_source(std::istream& in, json_lines_options options = {})
        : options_(std::move(options)), reader_(in, options_.name.empty() ? "<stream>" : options_.name) {
        if (options_.name.empty()) options_.name = "<stream>";
    }

    pull next(row& out) {
        if (finished_) return pull::end;
        for (;;) {
            std::uint64_t number = 0;
            auto st = reader_.read(line_, number);
            if (st == detail::line_reader::status::eof) {
                finished_ = true;
                return pull::end;
            }
            if (st == detail::line_reader::status::failed) {
                finished_ = true;
                return fail("", reader_.message());
            }
            if (detail::trim(line_).empty()) continue;
            std::string message;
            if (!parse(out, number, message))
                return fail("line " + std::to_string(number), std::move(message));
            return pull::item;
        }
    }

    const record_error& error() const noexcept { return error_; }
    const json_lines_options& options() const noexcept { return options_; }
    /// Number of distinct key layouts seen so far.
    std::size_t layouts() const noexcept { return schemas_.size(); }

private:
    // Receives nlohmann's SAX events for one line, writing the values straight into the row.
    struct handler {
        using json = nlohmann::json;
        using string_t = json::string_t;

        row& out;
        json_lines_source& src;
        std::string& keys;  // the line's keys joined by '\0': the layout's cache key
        int depth = 0;
        bool started = false;
        std::string current_key;
        std::string message;
        std::vector<std::pair<std::size_t, std::string>> nested;  // cell index, field name

        bool top_level_value() {
            if (depth == 1) return true;
            if (depth == 0) message = "expected a JSON object, got a single value";
            return false;  // deeper values are skipped (as_text) or already an error
        }
        bool value_missing() {
            if (depth > 1) return true;
            if (!top_level_value()) return false;
            out.push_missing();
            return true;
        }
        template <class Int>
        bool value_integer(Int v) {
            if (depth > 1) return true;
            if (!top_level_value()) return false;
            char buf[24];
            auto r = std::to_chars(buf, buf + sizeof buf, v);
            out.push_number(static_cast<double>(v),
                            std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
            return true;
        }

        bool null() { return value_missing(); }
        bool boolean(bool v) {
            if (depth > 1) return true;
            if (!top_level_value()) return false;
            out.push_number(v ? 1.0 : 0.0, v ? "true" : "false");
            return true;
        }
        bool number_integer(json::number_integer_t v) { return value_integer(v); }
        bool number_unsigned(json::number_unsigned_t v) { return value_integer(v); }
        bool number_float(json::number_float_t v, const string_t& text) {
            if (depth > 1) return true;
            if (!top_level_value()) return false;
            out.push_number(v, text);
            return true;
        }
        bool string(string_t& v) {
            if (depth > 1) return true;
            if (!top_level_value()) return false;
            out.push_string(v);
            return true;
        }
        bool binary(json::binary_t&) { return value_missing(); }  // not produced by the text format
        bool start_object(std::size_t) {
            if (depth == 0) {
                started = true;
                depth = 1;
                return true;
            }
            return start_nested("an object");
        }
        bool start_array(std::size_t) {
            if (depth == 0) {
                message = "expected a JSON object, got an array";
                return false;
            }
            return start_nested("an array");
        }
        bool start_nested(const char* what) {
            if (depth == 1) {
                if (src.options_.nested == json_nested::error) {
                    message =
                        "field '" + current_key + "' holds " + what + "; only flat objects are supported";
                    return false;
                }
                nested.emplace_back(out.size(), current_key);
                out.push_missing();  // replaced by the value's text once the line is parsed
            }
            ++depth;
            return true;
        }
        bool end_object() {
            --depth;
            return true;
        }
        bool end_array() {
            --depth;
            return true;
        }
        bool key(string_t& k) {
            if (depth != 1) return true;
            current_key = k;
            keys.append(k).push_back('\0');
            return true;
        }
        bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
            // nlohmann says "[json.exception.parse_error.101] parse error at line 1, column 5: why";
            // keep the why, and give the position within our line.
            std::string what = e.what();
            auto colon = what.find(": ", what.find("parse error"));
            message = "invalid JSON at byte " + std::to_string(position) + ": " +
                      (colon == std::string::npos ? what : what.substr(colon + 2));
            return false;
        }
    };

    pull fail(std::string where, std::string message) {
        error_.source = options_.name;
        error_.where = std::move(where);
        error_.message = std::move(message);
        error_.raw = detail::clip(line_);
        return pull::error;
    }

    bool parse(row& out, std::uint64_t number, std::string& message) {
        out.assign(nullptr, number);
        keys_.clear();
        handler h{out, *this, keys_, 0, false, {}, {}, {}};
        bool ok = false;
        try {
            ok = nlohmann::json::sax_parse(line_, &h, nlohmann::json::input_format_t::json, true);
        } catch (const std::exception& e) {  // nlohmann reports some problems (bad UTF-8) by throwing
            h.message = std::string("invalid JSON: ") + e.what();
            ok = false;
        }
        if (!ok || !h.started) {
            message = h.message.empty() ? "invalid JSON" : std::move(h.message);
            return false;
        }
        if (!h.nested.empty() && !fill_nested(out, h.nested, message)) return false;
        auto schema = layout(message);
        if (!schema) return false;
        out.set_schema(std::move(schema));
        if (!options_.data_type_field.empty() && out.data_type().empty()) {
            message = (out.schema()->data_type_index() ? "empty or null '" : "no '") +
                      options_.data_type_field + "' field (the data type)";
            return false;
        }
        return true;
    }

    // as_text: the nested values, re-read with the DOM (rare path) and written back compact.
    bool fill_nested(row& out, const std::vector<std::pair<std::size_t, std::string>>& nested,
                     std::string& message) {
        try {
            auto doc = nlohmann::json::parse(line_);
            for (const auto& [index, key] : nested)
                out.set(index, Value::string(doc.at(key).dump(-1, ' ', false,
                                                              nlohmann::json::error_handler_t::replace)));
        } catch (const std::exception& e) {
            message = std::string("invalid JSON: ") + e.what();
            return false;
        }
        return true;
    }

    schema_ptr layout(std::string& message) {
        auto it = schemas_.find(keys_);
        if (it != schemas_.end()) return it->second;
        if (schemas_.size() >= options_.max_layouts) {
            message = "more than " + std::to_string(options_.max_layouts) +
                      " distinct key layouts (json_lines_options::max_layouts)";
            return nullptr;
        }
        std::vector<std::string> names;
        for (std::size_t b = 0, e; b < keys_.size(); b = e + 1) {
            e = keys_.find('\0', b);
            names.emplace_back(keys_, b, e - b);
        }
        try {
            auto s = row_schema::make(std::move(names),
                                      {options_.name, options_.data_type_field, options_.data_type});
            schemas_.emplace(keys_, s);
            return s;
        } catch (const scorestream::error& e) {
            std::string what = e.what();
            auto dup = what.find("duplicate field name");
            message = dup == std::string::npos ? what : "duplicate key" + what.substr(dup + 20);
            return nullptr;
        }
    }

    json_lines_options options_;
    detail::line_reader reader_;
    record_error error_;
    std::string line_;
    std::string keys_;
    std::unordered_map<std::string, schema_ptr> schemas_;
    bool finished_ = false;
};

/// Writes io::row records as JSON lines, one flat object per row, fields in layout order: numbers
/// as numbers, strings as strings, missing as null. Rows of any layout can be mixed. Invalid UTF-8
/// is replaced (U+FFFD), so the output is always valid JSON. Write failures throw io_error.
class json_lines_sink {
public:
    explicit json_lines_sink(const std::filesystem::path& path) : out_(path) {}
    json_lines_sink(std::ostream& out, std::string name = "<stream>") : out_(out, std::move(name)) {}

    void write(const row& r) {
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        if (r.schema())
            for (std::size_t i = 0; i < r.size() && i < r.schema()->size(); ++i)
                j[r.schema()->name(i)] = detail::to_json(r[i]);
        line_ = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        line_.push_back('\n');
        out_.write(line_);
        ++rows_;
    }
    void operator()(const row& r) { write(r); }
    void flush() { out_.flush(); }
    std::uint64_t rows_written() const noexcept { return rows_; }

private:
    detail::text_output out_;
    std::string line_;
    std::uint64_t rows_ = 0;
};

struct scored_json_options {
    /// Record fields written under "record" (any record type with record_traits; by name).
    std::vector<std::string> record_fields;
};

/// Writes Scored<T> results as JSON lines:
///   {"data_type":..., "origin":..., "record":{...}, "model":"name", "version":"v", "status":"scored",
///    "score":0.7, "outputs":{"name":value,...}, "reason":"", "duration_ns":1234}
/// data_type appears when the record type has one, origin for io::row, record when record_fields is
/// set. Every output of the answering model is written by name. Write failures throw io_error.
template <class T>
class scored_json_lines_sink {
public:
    explicit scored_json_lines_sink(const std::filesystem::path& path, scored_json_options options = {})
        : out_(path), records_(std::move(options.record_fields)) {}
    scored_json_lines_sink(std::ostream& out, scored_json_options options = {}, std::string name = "<stream>")
        : out_(out, std::move(name)), records_(std::move(options.record_fields)) {}

    void write(const Scored<T>& s) {
        using json = nlohmann::ordered_json;
        json j = json::object();
        if constexpr (has_data_type_v<T>) j["data_type"] = std::string(record_traits<T>::data_type(s.record));
        if constexpr (std::is_same_v<T, row>) j["origin"] = s.record.origin();
        if (!records_.empty()) {
            records_.gather(s.record, values_);
            json rec = json::object();
            for (std::size_t k = 0; k < values_.size(); ++k)
                rec[records_.names()[k]] = detail::to_json(values_[k]);
            j["record"] = std::move(rec);
        }
        j["model"] = s.model_name();
        j["version"] = s.model_version();
        j["status"] = to_string(s.status);
        const bool scored = s.status == score_status::scored;
        j["score"] = scored ? detail::to_json(s.prediction.value) : json(nullptr);
        json outs = json::object();
        if (scored && s.model) {
            const auto& names = s.model->schema().outputs;
            for (std::size_t k = 0; k < names.size() && k < s.prediction.outputs.size(); ++k)
                outs[names[k]] = detail::to_json(s.prediction.outputs[k]);
        }
        j["outputs"] = std::move(outs);
        j["reason"] = std::string(detail::reason_of(s));
        j["duration_ns"] = static_cast<std::int64_t>(s.duration.count());
        line_ = j.dump(-1, ' ', false, json::error_handler_t::replace);
        line_.push_back('\n');
        out_.write(line_);
        ++rows_;
    }
    void operator()(const Scored<T>& s) { write(s); }
    void flush() { out_.flush(); }
    std::uint64_t rows_written() const noexcept { return rows_; }

private:
    detail::text_output out_;
    detail::record_columns<T> records_;
    std::vector<Value> values_;
    std::string line_;
    std::uint64_t rows_ = 0;
};

}  // namespace scorestream::io
