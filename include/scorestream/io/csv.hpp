#pragma once
// CSV connectors.
//
// csv_source reads io::row records from a CSV file or stream: a header row names the columns
// (RFC 4180: quoted cells, "" inside quotes for a quote, separators and line breaks inside quotes).
// Cells equal to a missing-value marker become missing, cells that are entirely a number become
// numbers (keeping their text), the others strings. A malformed record (wrong cell count, an
// unterminated quote, text after a closing quote, a record over the size limit) is reported as
// pull::error naming the file and line, and reading goes on with the next line.
//
// csv_sink writes io::row records; scored_csv_sink<T> writes Scored<T> results (chosen record
// columns, model name, model version, status, score, the model's outputs by name, reason).
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

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scorestream::io {

struct csv_options {
    char separator = ',';
    char quote = '"';
    /// Cell texts read as missing values. Compared with the cell's content after unquoting.
    std::vector<std::string> missing_values{"", "NA"};
    /// The first record names the columns. When false, `columns` names them.
    bool header = true;
    std::vector<std::string> columns;
    /// Cells that are entirely a finite decimal number (spaces around it allowed) become numbers.
    bool parse_numbers = true;
    /// Quoted cells are always strings: never missing, never numbers.
    bool quoted_are_strings = false;
    /// Strip spaces and tabs around unquoted string cells.
    bool trim = false;
    /// Skip empty lines between records (otherwise they are records of one empty cell).
    bool skip_blank_lines = true;
    /// The column holding each row's data type (routing key). Must be in the header when set.
    std::string data_type_column;
    /// The data type of every row; with data_type_column, the fallback when that cell is missing.
    std::string data_type;
    /// A record longer than this (an unterminated quote, usually) is an error.
    std::size_t max_record_bytes = std::size_t{1} << 20;
    /// How errors and row origins name the input; default: the file path (or "<stream>").
    std::string name;
};

/// Reads io::row records from CSV. See the top of this header for the format and error behaviour.
class csv_source {
public:
    using value_type = row;

    /// Reads the file at `path`. An unreadable file is reported by the first next() (pull::error),
    /// then the source ends. Throws invalid_value_error for inconsistent options.
    explicit csv_source(const std::filesystem::path& path, csv_options options = {})
        : options_(checked(std::move(options))), reader_(path) {
        if (options_.name.empty()) options_.name = path.string();
    }

    /// Reads from `in`, which must outlive the source.
    explicit csv_source(std::istream& in, csv_options options = {})
        : options_(checked(std::move(options))),
          reader_(in, options_.name.empty() ? "<stream>" : options_.name) {
        if (options_.name.empty()) options_.name = "<stream>";
    }

    /// The next record into `out` (item), or end, or error (error() says what and where).
    pull next(row& out) {
        if (finished_) return pull::end;
        if (!schema_) {
            pull p = open(out);
            if (p != pull::item) return p;
        }
        for (;;) {
            std::uint64_t number = 0;
            auto st = reader_.read(line_, number);
            if (st == detail::line_reader::status::eof) {
                finished_ = true;
                return pull::end;
            }
            if (st == detail::line_reader::status::failed) {
                finished_ = true;
                return fail("", reader_.message(), "");
            }
            if (line_.empty() && options_.skip_blank_lines) continue;
            out.assign(schema_, number);
            std::string message;
            if (!parse(out, number, message))
                return fail("line " + std::to_string(number), message, raw_text());
            if (out.size() != schema_->size()) {
                message = "expected " + std::to_string(schema_->size()) + " cells, got " +
                          std::to_string(out.size());
                if (!extra_.empty())
                    message += " in a record spanning lines " + std::to_string(number) + "-" +
                               std::to_string(extra_.back().first) +
                               " (the lines after the first are read again)";
                give_back();  // a stray quote joined lines: it costs only its own line
                return fail("line " + std::to_string(number), message, raw_text());
            }
            return pull::item;
        }
    }

    const record_error& error() const noexcept { return error_; }

    /// The layout of the rows (null until the header has been read by the first next()).
    const schema_ptr& schema() const noexcept { return schema_; }
    const csv_options& options() const noexcept { return options_; }

private:
    enum class state { cell_start, unquoted, quoted, quote_in_quoted };

    static csv_options checked(csv_options o) {
        auto bad = [](char c) { return c == '\n' || c == '\r'; };
        if (bad(o.separator) || bad(o.quote) || o.separator == o.quote)
            throw invalid_value_error("csv_options: separator and quote must differ and not be line breaks");
        if (!o.header && o.columns.empty())
            throw invalid_value_error("csv_options: header is false, so columns must name the columns");
        return o;
    }

    pull fail(std::string where, std::string message, std::string raw) {
        error_.source = options_.name;
        error_.where = std::move(where);
        error_.message = std::move(message);
        error_.raw = std::move(raw);
        return pull::error;
    }

    // Reads the header (or takes the configured columns) and builds the schema. On an error the
    // whole input is unusable: report it once, then end.
    pull open(row& scratch) {
        std::vector<std::string> names;
        row_schema::options so{options_.name, options_.data_type_column, options_.data_type};
        std::string where = "line 1";
        if (options_.header) {
            std::uint64_t number = 0;
            for (;;) {
                auto st = reader_.read(line_, number);
                if (st == detail::line_reader::status::failed) {
                    finished_ = true;
                    return fail("", reader_.message(), "");
                }
                if (st == detail::line_reader::status::eof) {
                    finished_ = true;
                    return fail("", "empty input: expected a header row", "");
                }
                if (!line_.empty()) break;
            }
            where = "line " + std::to_string(number);
            // The header is parsed with the record parser, as strings.
            auto header_schema = row_schema::make({}, {});
            scratch.assign(header_schema, number);
            std::string message;
            in_header_ = true;
            const bool ok = parse(scratch, number, message);
            in_header_ = false;
            if (!ok) {
                finished_ = true;
                return fail(where, "bad header: " + message, raw_text());
            }
            for (std::size_t i = 0; i < scratch.size(); ++i) names.emplace_back(scratch[i].text());
        } else {
            names = options_.columns;
            where.clear();  // the names come from the options, not from a line
        }
        try {
            schema_ = row_schema::make(std::move(names), std::move(so));
        } catch (const scorestream::error& e) {
            finished_ = true;
            std::string what = e.what();  // "<source>: duplicate field name 'a'"; the source is named already
            const std::string prefix = options_.name + ": ";
            if (what.compare(0, prefix.size(), prefix) == 0) what.erase(0, prefix.size());
            return fail(where, (options_.header ? "bad header: " : "bad columns: ") + what,
                        options_.header ? raw_text() : std::string());
        }
        if (!options_.data_type_column.empty() && !schema_->data_type_index()) {
            finished_ = true;
            schema_.reset();
            return fail(where,
                        "the data type column '" + options_.data_type_column + "' is not in the header",
                        raw_text());
        }
        return pull::item;
    }

    // Parses the record starting with line_ (numbered `first`) into `out`, reading more lines while
    // a quoted cell is open. On failure, lines read past the first are given back to the reader, so
    // one stray quote costs one line, and `message` says what was wrong.
    bool parse(row& out, std::uint64_t first, std::string& message) {
        extra_.clear();
        std::string& buf = out.text_buffer();
        const std::size_t start = buf.size();
        state st = state::cell_start;
        std::size_t cell_begin = buf.size();
        bool cell_quoted = false;
        std::size_t column = 1;
        std::string_view cur = line_;
        std::uint64_t cur_number = first;
        for (;;) {
            // Spans without quotes or separators are copied in one go; only quotes and separators
            // are looked at one by one.
            const char sep = options_.separator;
            const char quote = options_.quote;
            std::size_t i = 0;
            while (i < cur.size()) {
                switch (st) {
                    case state::cell_start:
                        if (cur[i] == quote) {
                            st = state::quoted;
                            cell_quoted = true;
                            ++i;
                            break;
                        }
                        st = state::unquoted;
                        [[fallthrough]];
                    case state::unquoted: {
                        // a quote inside an unquoted cell is an ordinary character
                        const std::size_t e = cur.find(sep, i);
                        if (e == std::string_view::npos) {
                            buf.append(cur.substr(i));
                            i = cur.size();
                            break;
                        }
                        buf.append(cur.substr(i, e - i));
                        end_cell(out, cell_begin, cell_quoted);
                        ++column;
                        cell_begin = buf.size();
                        st = state::cell_start;
                        i = e + 1;
                        break;
                    }
                    case state::quoted: {
                        const std::size_t e = cur.find(quote, i);
                        if (e == std::string_view::npos) {
                            buf.append(cur.substr(i));
                            i = cur.size();
                            break;
                        }
                        buf.append(cur.substr(i, e - i));
                        st = state::quote_in_quoted;
                        i = e + 1;
                        break;
                    }
                    case state::quote_in_quoted: {
                        const char c = cur[i++];
                        if (c == quote) {
                            buf.push_back(c);
                            st = state::quoted;
                        } else if (c == sep) {
                            end_cell(out, cell_begin, cell_quoted);
                            ++column;
                            cell_begin = buf.size();
                            st = state::cell_start;
                        } else {
                            message = "unexpected character '" + std::string(1, c) +
                                      "' after the closing quote of cell " + std::to_string(column);
                            if (cur_number != first) message += " (line " + std::to_string(cur_number) + ")";
                            give_back();
                            return false;
                        }
                        break;
                    }
                }
            }
            if (st != state::quoted) break;
            // A quoted cell goes on past the line end: the line break belongs to the cell.
            if (buf.size() - start > options_.max_record_bytes) {
                message = "quoted cell " + std::to_string(column) + " is not closed within " +
                          std::to_string(options_.max_record_bytes) + " bytes";
                give_back();
                return false;
            }
            detail::line_reader::numbered_line next;
            auto rs = reader_.read(next.second, next.first);
            if (rs != detail::line_reader::status::line) {
                message = "unterminated quoted cell " + std::to_string(column);
                if (rs == detail::line_reader::status::failed) message += " (" + reader_.message() + ")";
                give_back();
                return false;
            }
            buf.push_back('\n');
            extra_.push_back(std::move(next));
            cur = extra_.back().second;
            cur_number = extra_.back().first;
        }
        end_cell(out, cell_begin, cell_quoted);
        return true;
    }

    void end_cell(row& out, std::size_t begin, bool& quoted) {
        std::string& buf = out.text_buffer();
        std::string_view content(buf.data() + begin, buf.size() - begin);
        const bool was_quoted = quoted;
        quoted = false;
        if (in_header_) {  // column names are taken as they are
            out.push_text_cell(Value::Kind::string, 0.0, begin, content.size());
            return;
        }
        if (!(was_quoted && options_.quoted_are_strings)) {
            for (const auto& m : options_.missing_values)
                if (content == m) {
                    buf.resize(begin);
                    out.push_missing();
                    return;
                }
            double x = 0;
            std::string_view text;
            if (options_.parse_numbers && detail::parse_number(content, x, text)) {
                out.push_text_cell(Value::Kind::number, x,
                                   begin + static_cast<std::size_t>(text.data() - content.data()),
                                   text.size());
                return;
            }
        }
        if (options_.trim && !was_quoted) {
            std::string_view t = detail::trim(content);
            out.push_text_cell(Value::Kind::string, 0.0,
                               begin + static_cast<std::size_t>(t.data() - content.data()), t.size());
            return;
        }
        out.push_text_cell(Value::Kind::string, 0.0, begin, content.size());
    }

    void give_back() {
        if (!extra_.empty()) {
            raw_ = line_;
            for (const auto& l : extra_) (raw_ += '\n') += l.second;
            reader_.unread(extra_.begin(), extra_.end());
            extra_.clear();
            raw_from_extra_ = true;
        }
    }

    std::string raw_text() {
        if (raw_from_extra_) {
            raw_from_extra_ = false;
            return detail::clip(raw_);
        }
        std::string raw = line_;
        for (const auto& l : extra_) (raw += '\n') += l.second;
        return detail::clip(raw);
    }

    csv_options options_;
    detail::line_reader reader_;
    schema_ptr schema_;
    record_error error_;
    std::string line_;
    std::vector<detail::line_reader::numbered_line> extra_;
    std::string raw_;
    bool raw_from_extra_ = false;
    bool in_header_ = false;
    bool finished_ = false;
};

// ---- writing ------------------------------------------------------------------------------------

struct csv_write_options {
    char separator = ',';
    char quote = '"';
    /// Written for missing values.
    std::string missing = "";
    std::string line_end = "\n";
};

namespace detail {

/// Appends one cell, quoted when it holds a separator, a quote, a line break or edge blanks.
inline void append_cell(std::string& out, std::string_view s, const csv_write_options& o) {
    bool quote = !s.empty() && (is_blank(s.front()) || is_blank(s.back()));
    for (char c : s)
        if (c == o.separator || c == o.quote || c == '\n' || c == '\r') {
            quote = true;
            break;
        }
    if (!quote) {
        out.append(s);
        return;
    }
    out.push_back(o.quote);
    for (char c : s) {
        if (c == o.quote) out.push_back(o.quote);
        out.push_back(c);
    }
    out.push_back(o.quote);
}

inline void append_value(std::string& out, const Value& v, const csv_write_options& o) {
    switch (v.kind()) {
        case Value::Kind::missing:
            out.append(o.missing);
            break;
        case Value::Kind::number: {
            std::string n;
            append_number_text(n, v);
            append_cell(out, n, o);
            break;
        }
        case Value::Kind::string:
            append_cell(out, v.text(), o);
            break;
    }
}

}  // namespace detail

/// Writes io::row records as CSV with a header row. The columns are `columns` when given, else the
/// fields of the first row written; a later row is written by field name (a column its layout lacks
/// is written as missing; a field not among the columns is counted in unwritten_fields()).
/// Write failures throw io_error naming the output.
class csv_sink {
public:
    explicit csv_sink(const std::filesystem::path& path, csv_write_options options = {},
                      std::vector<std::string> columns = {})
        : out_(path), options_(std::move(options)), columns_(std::move(columns)) {}
    csv_sink(std::ostream& out, csv_write_options options = {}, std::vector<std::string> columns = {},
             std::string name = "<stream>")
        : out_(out, std::move(name)), options_(std::move(options)), columns_(std::move(columns)) {}

    void write(const row& r) {
        if (!header_written_) {
            if (columns_.empty() && r.schema()) columns_ = r.schema()->names();
            write_header();
        }
        if (r.schema() != schema_) bind(r.schema());
        line_.clear();
        for (std::size_t k = 0; k < columns_.size(); ++k) {
            if (k) line_.push_back(options_.separator);
            detail::append_value(line_, index_[k] == npos ? Value::missing() : r[index_[k]], options_);
        }
        line_ += options_.line_end;
        out_.write(line_);
        unwritten_ += unmatched_;
        ++rows_;
    }
    void operator()(const row& r) { write(r); }

    /// Writes the header if nothing was written yet (and the columns are known), then flushes.
    void flush() {
        if (!header_written_ && !columns_.empty()) write_header();
        out_.flush();
    }

    std::uint64_t rows_written() const noexcept { return rows_; }
    /// Values of written rows whose field is not among the columns (and so not written).
    std::uint64_t unwritten_fields() const noexcept { return unwritten_; }
    const std::vector<std::string>& columns() const noexcept { return columns_; }

private:
    static constexpr std::size_t npos = feature_binding::npos;

    void write_header() {
        line_.clear();
        for (std::size_t k = 0; k < columns_.size(); ++k) {
            if (k) line_.push_back(options_.separator);
            detail::append_cell(line_, columns_[k], options_);
        }
        line_ += options_.line_end;
        out_.write(line_);
        header_written_ = true;
    }

    void bind(const schema_ptr& s) {
        schema_ = s;
        index_.assign(columns_.size(), npos);
        std::size_t matched = 0;
        for (std::size_t k = 0; k < columns_.size(); ++k)
            if (s)
                if (auto i = s->index_of(columns_[k])) {
                    index_[k] = *i;
                    ++matched;
                }
        unmatched_ = (s ? s->size() : 0) - matched;
    }

    detail::text_output out_;
    csv_write_options options_;
    std::vector<std::string> columns_;
    bool header_written_ = false;
    schema_ptr schema_;
    std::vector<std::size_t> index_;
    std::size_t unmatched_ = 0;
    std::uint64_t rows_ = 0;
    std::uint64_t unwritten_ = 0;
    std::string line_;
};

struct scored_csv_options {
    csv_write_options format;
    /// Record fields written first (any record type with record_traits; by name, once per layout).
    std::vector<std::string> record_columns;
    /// Output columns, by output name. Empty: the outputs of the first model that answers (or none
    /// when the first result has no model).
    std::vector<std::string> outputs;
    /// Adds a duration_ns column after reason.
    bool duration = false;
};

/// Writes Scored<T> results as CSV: record columns, model_name, model_version, status, score,
/// one column per output, reason [, duration_ns]. Outputs of a model that have no column are counted
/// in unwritten_outputs(). Write failures throw io_error naming the output.
template <class T>
class scored_csv_sink {
public:
    explicit scored_csv_sink(const std::filesystem::path& path, scored_csv_options options = {})
        : out_(path),
          options_(std::move(options)),
          records_(options_.record_columns),
          outputs_(options_.outputs) {}
    scored_csv_sink(std::ostream& out, scored_csv_options options = {}, std::string name = "<stream>")
        : out_(out, std::move(name)),
          options_(std::move(options)),
          records_(options_.record_columns),
          outputs_(options_.outputs) {}

    void write(const Scored<T>& s) {
        const auto& f = options_.format;
        if (!header_written_) {
            if (options_.outputs.empty() && s.model) outputs_.set_names(s.model->schema().outputs);
            write_header();
        }
        line_.clear();
        records_.gather(s.record, values_);
        for (const auto& v : values_) {
            detail::append_value(line_, v, f);
            line_.push_back(f.separator);
        }
        detail::append_cell(line_, s.model_name(), f);
        line_.push_back(f.separator);
        detail::append_cell(line_, s.model_version(), f);
        line_.push_back(f.separator);
        line_.append(to_string(s.status));
        line_.push_back(f.separator);
        const bool scored = s.status == score_status::scored;
        detail::append_value(line_, scored ? s.prediction.value : Value::missing(), f);
        if (s.model) outputs_.bind(s.model);
        for (std::size_t k = 0; k < outputs_.names().size(); ++k) {
            line_.push_back(f.separator);
            const std::size_t j = scored ? outputs_.index(k) : detail::output_columns::npos;
            detail::append_value(
                line_, j < s.prediction.outputs.size() ? s.prediction.outputs[j] : Value::missing(), f);
        }
        if (scored) unwritten_ += outputs_.unmatched();
        line_.push_back(f.separator);
        detail::append_cell(line_, detail::reason_of(s), f);
        if (options_.duration) {
            line_.push_back(f.separator);
            line_.append(std::to_string(s.duration.count()));
        }
        line_ += f.line_end;
        out_.write(line_);
        ++rows_;
    }
    void operator()(const Scored<T>& s) { write(s); }

    void flush() {
        if (!header_written_) write_header();
        out_.flush();
    }

    std::uint64_t rows_written() const noexcept { return rows_; }
    /// Model outputs that had no column (summed over written results).
    std::uint64_t unwritten_outputs() const noexcept { return unwritten_; }

private:
    void write_header() {
        const auto& f = options_.format;
        line_.clear();
        auto col = [&](std::string_view name) {
            if (!line_.empty()) line_.push_back(f.separator);
            detail::append_cell(line_, name, f);
        };
        for (const auto& n : records_.names()) col(n);
        for (const char* n : {"model_name", "model_version", "status", "score"}) col(n);
        for (const auto& n : outputs_.names()) col(n);
        col("reason");
        if (options_.duration) col("duration_ns");
        line_ += f.line_end;
        out_.write(line_);
        header_written_ = true;
    }

    detail::text_output out_;
    scored_csv_options options_;
    detail::record_columns<T> records_;
    detail::output_columns outputs_;
    std::vector<Value> values_;
    bool header_written_ = false;
    std::uint64_t rows_ = 0;
    std::uint64_t unwritten_ = 0;
    std::string line_;
};

}  // namespace scorestream::io
