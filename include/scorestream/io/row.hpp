#pragma once
// io::row: the record type of the text formats (CSV, JSON lines). A row is a list of Values laid out
// by a shared, immutable row_schema (field names, lookup by name, where the data type comes from,
// which input the rows were read from). All rows read from one layout of one input share one schema
// object, so feature binding is resolved once per schema, never per row.
//
// A row owns the text its string values point to. Values are materialized on access from
// (offset, length) pairs into the row's own buffer, so copying or moving a row is always correct,
// whatever happens to the buffer's address. Rebuilding a row with assign() keeps its capacity: a
// source that refills the same row allocates nothing per record in the steady state.
//
// Thread-safety: a row_schema is immutable and may be shared by any number of threads. A row is a
// plain value: concurrent reads are fine, writes need external synchronization.

#include <scorestream/error.hpp>
#include <scorestream/model/record.hpp>
#include <scorestream/model/value.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scorestream::io {

/// The layout of a family of rows: field names, and how a row's data type (routing key) is found.
class row_schema {
public:
    struct options {
        std::string source;           ///< the input the rows come from (a file path, a stream name)
        std::string data_type_field;  ///< the field holding each row's data type, if any
        std::string data_type;        ///< data type of every row (or the fallback when the field is missing)
    };

    /// Builds a shared schema. Throws invalid_value_error when two fields have the same name.
    static std::shared_ptr<const row_schema> make(std::vector<std::string> names, options opts = {}) {
        return std::shared_ptr<const row_schema>(new row_schema(std::move(names), std::move(opts)));
    }

    std::size_t size() const noexcept { return names_.size(); }
    const std::vector<std::string>& names() const noexcept { return names_; }
    const std::string& name(std::size_t i) const { return names_.at(i); }

    /// The index of field `name`, or nullopt. O(log n).
    std::optional<std::size_t> index_of(std::string_view name) const noexcept {
        auto it = std::lower_bound(sorted_.begin(), sorted_.end(), name,
                                   [this](std::size_t i, std::string_view n) { return names_[i] < n; });
        if (it == sorted_.end() || names_[*it] != name) return std::nullopt;
        return *it;
    }

    const std::string& source() const noexcept { return opts_.source; }
    const std::string& data_type_field() const noexcept { return opts_.data_type_field; }
    /// The fixed data type (or the fallback when the data type field is missing from a row).
    const std::string& fixed_data_type() const noexcept { return opts_.data_type; }
    /// Index of the data type field in this layout, or nullopt when it has none.
    std::optional<std::size_t> data_type_index() const noexcept { return data_type_index_; }

private:
    row_schema(std::vector<std::string> names, options opts)
        : names_(std::move(names)), opts_(std::move(opts)) {
        sorted_.resize(names_.size());
        for (std::size_t i = 0; i < sorted_.size(); ++i) sorted_[i] = i;
        std::stable_sort(sorted_.begin(), sorted_.end(),
                         [this](std::size_t a, std::size_t b) { return names_[a] < names_[b]; });
        for (std::size_t k = 1; k < sorted_.size(); ++k)
            if (names_[sorted_[k - 1]] == names_[sorted_[k]])
                throw invalid_value_error((opts_.source.empty() ? std::string() : opts_.source + ": ") +
                                          "duplicate field name '" + names_[sorted_[k]] + "'");
        if (!opts_.data_type_field.empty()) data_type_index_ = index_of(opts_.data_type_field);
    }

    std::vector<std::string> names_;
    std::vector<std::size_t> sorted_;  // indices of names_ in name order, for index_of
    options opts_;
    std::optional<std::size_t> data_type_index_;
};

using schema_ptr = std::shared_ptr<const row_schema>;

/// One record of a text format: values laid out by a row_schema, plus where the row came from.
class row {
public:
    row() = default;
    explicit row(schema_ptr schema, std::uint64_t line = 0) : schema_(std::move(schema)), line_(line) {}

    /// Starts a new row of `schema` read at `line`; drops the old values, keeps the capacity.
    void assign(schema_ptr schema, std::uint64_t line = 0) {
        if (schema_ != schema) schema_ = std::move(schema);
        line_ = line;
        cells_.clear();
        text_.clear();
    }

    // ---- reading ------------------------------------------------------------------------------

    const schema_ptr& schema() const noexcept { return schema_; }
    /// Number of values (equal to schema()->size() for rows a source produced).
    std::size_t size() const noexcept { return cells_.size(); }
    bool empty() const noexcept { return cells_.empty(); }

    /// The i-th value; missing when i is out of range. The value's text points into this row.
    Value operator[](std::size_t i) const noexcept {
        if (i >= cells_.size()) return Value::missing();
        const cell& c = cells_[i];
        switch (c.kind) {
            case Value::Kind::missing:
                return Value::missing();
            case Value::Kind::number:
                return Value::number(c.number, view(c));
            case Value::Kind::string:
                return Value::string(view(c));
        }
        return Value::missing();
    }

    /// The value of field `name`, or missing when the layout has no such field. For occasional use:
    /// the hot path binds names to indices once (feature_binding).
    Value get(std::string_view name) const noexcept {
        if (!schema_) return Value::missing();
        auto i = schema_->index_of(name);
        return i ? (*this)[*i] : Value::missing();
    }

    /// The routing key: the data type field's text when the layout has one and it is not missing,
    /// otherwise the schema's fixed data type ("" when neither is configured).
    std::string_view data_type() const noexcept {
        if (!schema_) return {};
        if (auto i = schema_->data_type_index()) {
            Value v = (*this)[*i];
            if (!v.is_missing()) return v.text();
        }
        return schema_->fixed_data_type();
    }

    /// The input this row was read from ("" for rows built by hand).
    std::string_view source() const noexcept { return schema_ ? std::string_view(schema_->source()) : ""; }
    /// The line (CSV, JSON lines: where the record starts, 1-based) or record number it was read at.
    std::uint64_t line() const noexcept { return line_; }
    /// "source:line", for messages and record keys.
    std::string origin() const {
        std::string s(source());
        if (line_ != 0) s += (s.empty() ? "line " : ":") + std::to_string(line_);
        return s;
    }

    // ---- building -----------------------------------------------------------------------------

    /// Sets the layout without touching the values, for sources that learn the layout only after
    /// reading the values (JSON lines). The caller makes the values match it.
    void set_schema(schema_ptr schema) noexcept { schema_ = std::move(schema); }

    void push_missing() { cells_.push_back(cell{}); }
    void push_number(double x) { cells_.push_back(cell{Value::Kind::number, x, 0, 0}); }
    /// A number read from text; the text is kept (copied into the row).
    void push_number(double x, std::string_view text) {
        cells_.push_back(cell{Value::Kind::number, x, append(text), text.size()});
    }
    void push_string(std::string_view s) {
        cells_.push_back(cell{Value::Kind::string, 0.0, append(s), s.size()});
    }
    /// Appends a copy of v (its text is copied into the row).
    void push(const Value& v) {
        switch (v.kind()) {
            case Value::Kind::missing:
                push_missing();
                break;
            case Value::Kind::number:
                push_number(v.as_number(), v.text());
                break;
            case Value::Kind::string:
                push_string(v.text());
                break;
        }
    }
    /// Replaces the i-th value with a copy of v (i < size()).
    void set(std::size_t i, const Value& v) {
        cell& c = cells_.at(i);
        c.kind = v.kind();
        c.number = v.is_number() ? v.as_number() : 0.0;
        c.offset = v.is_missing() ? 0 : append(v.text());
        c.length = v.is_missing() ? 0 : v.text().size();
    }

    /// Direct access to the text buffer for sources that write a value's text first and then
    /// record it with push_text_cell(); avoids a copy.
    std::string& text_buffer() noexcept { return text_; }
    /// Records a value whose text is text_buffer()[offset, offset + length).
    void push_text_cell(Value::Kind kind, double number, std::size_t offset, std::size_t length) {
        cells_.push_back(cell{kind, number, offset, length});
    }

    /// Same layout (same field names) and equal values; line and source are not compared.
    friend bool operator==(const row& a, const row& b) noexcept {
        if (a.size() != b.size()) return false;
        if (a.schema_ != b.schema_ && (!a.schema_ || !b.schema_ || a.schema_->names() != b.schema_->names()))
            return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a[i] != b[i]) return false;
        return true;
    }
    friend bool operator!=(const row& a, const row& b) noexcept { return !(a == b); }

private:
    struct cell {
        Value::Kind kind = Value::Kind::missing;
        double number = 0.0;
        std::size_t offset = 0;
        std::size_t length = 0;
    };

    std::size_t append(std::string_view s) {
        std::size_t at = text_.size();
        text_.append(s.data(), s.size());
        return at;
    }
    std::string_view view(const cell& c) const noexcept {
        // bounds-checked, so a buffer emptied through text_buffer() cannot make a read go astray
        if (c.offset > text_.size()) return {};
        return std::string_view(text_.data() + c.offset, std::min(c.length, text_.size() - c.offset));
    }

    schema_ptr schema_;
    std::uint64_t line_ = 0;
    std::vector<cell> cells_;
    std::string text_;
};

}  // namespace scorestream::io

namespace scorestream {

/// io::row as a record: fields by schema index, data type from the schema's rule.
template <>
struct record_traits<io::row> {
    static const void* schema(const io::row& r) noexcept { return r.schema().get(); }
    /// Keeps a bound schema alive, so its address cannot be reused by another layout while a
    /// feature binding refers to it.
    static std::shared_ptr<const void> schema_owner(const io::row& r) { return r.schema(); }
    static std::optional<std::size_t> field_index(const io::row& sample, std::string_view name) {
        return sample.schema() ? sample.schema()->index_of(name) : std::nullopt;
    }
    static Value field(const io::row& r, std::size_t index) noexcept { return r[index]; }
    static std::string_view data_type(const io::row& r) noexcept { return r.data_type(); }
};

}  // namespace scorestream
