#pragma once
// Length-delimited protobuf connectors and protobuf messages as records.
//
// Framing: each message is preceded by its size as a varint, the framing of
// google::protobuf::util::SerializeDelimitedToOstream / ParseDelimitedFromZeroCopyStream (and of
// Java's writeDelimitedTo). delimited_source<Msg> reads such a file or stream; delimited_writer
// writes one. A message that does not parse is reported as pull::error with its byte offset and
// reading goes on with the next message (the framing is intact). A truncated length prefix or
// message, a malformed prefix, or a length over the limit is reported the same way, then the
// source ends: past a broken frame nothing can be trusted.
//
// record_traits for any type derived from google::protobuf::Message reads fields by reflection:
// schema() is the message Descriptor; singular scalar fields are numbers (bool as 1/0 with the text
// "true"/"false"), strings and bytes are strings, enums their value names; a field with presence
// (proto2 optional, proto3 `optional`, oneof members) that is not set is missing; the well-known
// wrapper messages (google.protobuf.DoubleValue, ...) read as their value, missing when unset.
// Repeated fields and other message fields are not features (field_index() has no index for them).
//
// to_scored_result() turns a Scored<T> into a proto::ScoredResult; scored_result_sink<T> writes
// them length-delimited.
//
// Thread-safety: each source or writer is used by one thread at a time; record_traits are stateless.

#include <scorestream/proto/model.pb.h>
#include <scorestream/error.hpp>
#include <scorestream/io/detail/columns.hpp>
#include <scorestream/io/detail/line_reader.hpp>
#include <scorestream/io/detail/output.hpp>
#include <scorestream/io/row.hpp>
#include <scorestream/model/record.hpp>
#include <scorestream/model/value.hpp>
#include <scorestream/stream/scored.hpp>
#include <scorestream/stream/source.hpp>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/message.h>
#include <google/protobuf/message_lite.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace scorestream::io {

struct delimited_options {
    /// A length prefix above this is treated as corruption: reported, then the source ends.
    std::size_t max_message_bytes = std::size_t{64} << 20;
    /// How errors name the input; default: the file path (or "<stream>").
    std::string name;
};

/// Reads length-delimited messages of type Msg. See the top of this header for the error behaviour.
template <class Msg>
class delimited_source {
    static_assert(std::is_base_of_v<google::protobuf::MessageLite, Msg>,
                  "delimited_source<Msg>: Msg must be a protobuf message type");

public:
    using value_type = Msg;

    /// Reads the file at `path`; an unreadable file is reported by the first next(), then the source ends.
    explicit delimited_source(const std::filesystem::path& path, delimited_options options = {})
        : options_(std::move(options)) {
        if (options_.name.empty()) options_.name = path.string();
        errno = 0;
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            open_error_ = "cannot open: is a directory";
            return;
        }
        auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
        if (!*file) {
            open_error_ = detail::open_failure(path, errno);
            return;
        }
        in_ = file->rdbuf();
        owned_ = std::move(file);
    }

    /// Reads from `in` (opened in binary mode), which must outlive the source.
    explicit delimited_source(std::istream& in, delimited_options options = {})
        : options_(std::move(options)), in_(in.rdbuf()) {
        if (options_.name.empty()) options_.name = "<stream>";
    }

    pull next(Msg& out) {
        if (finished_) return pull::end;
        if (!open_error_.empty()) {
            finished_ = true;
            return fail(0, std::move(open_error_), {});
        }
        if (in_ == nullptr) {
            finished_ = true;
            return pull::end;
        }
        const std::uint64_t start = offset_;
        std::uint64_t size = 0;
        for (unsigned n = 0;; ++n) {
            const auto c = in_->sbumpc();
            if (c == std::char_traits<char>::eof()) {
                finished_ = true;
                if (n == 0) return pull::end;
                return fail(
                    start, "truncated length prefix: input ends after " + std::to_string(n) + " of its bytes",
                    {});
            }
            ++offset_;
            const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(c));
            if (n == 9 && byte > 1) {
                finished_ = true;
                return fail(start, "malformed length prefix (longer than a 64-bit varint)", {});
            }
            size |= (byte & 0x7f) << (7 * n);
            if ((byte & 0x80) == 0) break;
        }
        if (size > options_.max_message_bytes ||
            size > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
            finished_ = true;
            return fail(start,
                        "length prefix of " + std::to_string(size) + " bytes exceeds the limit of " +
                            std::to_string(options_.max_message_bytes) +
                            " (corrupt input?); reading stops here",
                        {});
        }
        buffer_.resize(static_cast<std::size_t>(size));
        const auto got = size == 0 ? 0 : in_->sgetn(buffer_.data(), static_cast<std::streamsize>(size));
        offset_ += static_cast<std::uint64_t>(got);
        if (static_cast<std::uint64_t>(got) < size) {
            finished_ = true;
            buffer_.resize(static_cast<std::size_t>(got));
            return fail(start,
                        "truncated message: the length prefix says " + std::to_string(size) +
                            " bytes, the input ends after " + std::to_string(got),
                        buffer_);
        }
        if (!out.ParseFromArray(buffer_.data(), static_cast<int>(size)))
            return fail(start,
                        "cannot parse " + std::to_string(size) + "-byte message as " + out.GetTypeName(),
                        buffer_);
        ++messages_;
        return pull::item;
    }

    const record_error& error() const noexcept { return error_; }
    /// Bytes consumed so far (the offset of the next message).
    std::uint64_t offset() const noexcept { return offset_; }
    /// Messages read successfully.
    std::uint64_t messages() const noexcept { return messages_; }
    const delimited_options& options() const noexcept { return options_; }

private:
    pull fail(std::uint64_t at, std::string message, std::string_view raw) {
        error_.source = options_.name;
        error_.where = "offset " + std::to_string(at);
        error_.message = std::move(message);
        error_.raw = detail::clip(raw);
        return pull::error;
    }

    delimited_options options_;
    std::unique_ptr<std::istream> owned_;
    std::streambuf* in_ = nullptr;
    std::string open_error_;
    record_error error_;
    std::string buffer_;
    std::uint64_t offset_ = 0;
    std::uint64_t messages_ = 0;
    bool finished_ = false;
};

/// Writes protobuf messages length-delimited (readable by delimited_source and by protobuf's
/// ParseDelimitedFromZeroCopyStream). Failures to open or write throw io_error naming the output.
class delimited_writer {
public:
    explicit delimited_writer(const std::filesystem::path& path) : out_(path) {}
    delimited_writer(std::ostream& out, std::string name = "<stream>") : out_(out, std::move(name)) {}

    void write(const google::protobuf::MessageLite& m) {
        const std::size_t size = m.ByteSizeLong();
        if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            throw invalid_value_error(out_.name() + ": message of " + std::to_string(size) +
                                      " bytes is too large to serialize");
        buffer_.resize(google::protobuf::io::CodedOutputStream::VarintSize64(size) + size);
        auto* p = reinterpret_cast<std::uint8_t*>(buffer_.data());
        p = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(size, p);
        if (!m.SerializeToArray(p, static_cast<int>(size)))
            throw invalid_value_error(out_.name() + ": cannot serialize a " + m.GetTypeName() +
                                      " (required fields missing?)");
        out_.write(buffer_);
        ++messages_;
    }
    void operator()(const google::protobuf::MessageLite& m) { write(m); }
    void flush() { out_.flush(); }
    std::uint64_t messages_written() const noexcept { return messages_; }

private:
    detail::text_output out_;
    std::string buffer_;
    std::uint64_t messages_ = 0;
};

/// A source of ModelDescriptors from a file of length-delimited descriptors: a control source.
using descriptor_file_source = delimited_source<proto::ModelDescriptor>;

// ---- protobuf messages as records ---------------------------------------------------------------

namespace detail {

inline bool is_wrapper(const google::protobuf::Descriptor* d) noexcept {
    if (d == nullptr || d->file()->name() != "google/protobuf/wrappers.proto") return false;
    return d->field_count() == 1 && d->field(0)->name() == "value";
}

/// Whether a field can be a feature: singular scalars, strings, enums, and wrapper messages.
inline bool is_feature_field(const google::protobuf::FieldDescriptor* f) noexcept {
    if (f == nullptr || f->is_repeated()) return false;
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE)
        return is_wrapper(f->message_type());
    return true;
}

inline Value proto_field(const google::protobuf::Message& m,
                         const google::protobuf::FieldDescriptor* f) noexcept {
    using FD = google::protobuf::FieldDescriptor;
    if (f == nullptr || f->is_repeated()) return Value::missing();
    const google::protobuf::Reflection* r = m.GetReflection();
    if (f->has_presence() && !r->HasField(m, f)) return Value::missing();
    switch (f->cpp_type()) {
        case FD::CPPTYPE_INT32:
            return Value::number(r->GetInt32(m, f));
        case FD::CPPTYPE_INT64:
            return Value::number(static_cast<double>(r->GetInt64(m, f)));
        case FD::CPPTYPE_UINT32:
            return Value::number(r->GetUInt32(m, f));
        case FD::CPPTYPE_UINT64:
            return Value::number(static_cast<double>(r->GetUInt64(m, f)));
        case FD::CPPTYPE_DOUBLE:
            return Value::number(r->GetDouble(m, f));
        case FD::CPPTYPE_FLOAT:
            return Value::number(static_cast<double>(r->GetFloat(m, f)));
        case FD::CPPTYPE_BOOL:
            return r->GetBool(m, f) ? Value::number(1.0, "true") : Value::number(0.0, "false");
        case FD::CPPTYPE_ENUM:
            return Value::string(r->GetEnum(m, f)->name());
        case FD::CPPTYPE_STRING: {
            std::string scratch;
            const std::string& s = r->GetStringReference(m, f, &scratch);
            // A Value cannot own text: a field kept outside the message (ctype=CORD) reads as missing.
            if (&s == &scratch) return Value::missing();
            return Value::string(s);
        }
        case FD::CPPTYPE_MESSAGE: {
            const google::protobuf::Message& sub = r->GetMessage(m, f);
            const auto* d = sub.GetDescriptor();
            return is_wrapper(d) ? proto_field(sub, d->field(0)) : Value::missing();
        }
    }
    return Value::missing();
}

}  // namespace detail

}  // namespace scorestream::io

namespace scorestream {

/// Any generated (or dynamic) protobuf message as a record, by reflection; see the top of this header.
template <class M>
struct record_traits<M, std::enable_if_t<std::is_base_of_v<google::protobuf::Message, M>>> {
    static const void* schema(const M& m) noexcept { return m.GetDescriptor(); }
    static std::optional<std::size_t> field_index(const M& sample, std::string_view name) {
        const auto* f = sample.GetDescriptor()->FindFieldByName(std::string(name));
        if (!io::detail::is_feature_field(f)) return std::nullopt;
        return static_cast<std::size_t>(f->index());
    }
    static Value field(const M& m, std::size_t index) noexcept {
        const auto* d = m.GetDescriptor();
        if (index >= static_cast<std::size_t>(d->field_count())) return Value::missing();
        return io::detail::proto_field(m, d->field(static_cast<int>(index)));
    }
};

}  // namespace scorestream

namespace scorestream::io {

// ---- scored results on the wire -----------------------------------------------------------------

/// Fills `out` with the wire form of a scored result: data type (the record's, else the model's),
/// model name and version, score (number or category), outputs by name, duration, error (why not
/// scored; empty when scored), answered_by, and record_key ("source:line" for io::row).
template <class T>
void to_scored_result(const Scored<T>& s, proto::ScoredResult& out) {
    out.Clear();
    if constexpr (has_data_type_v<T>) out.set_data_type(std::string(record_traits<T>::data_type(s.record)));
    if (out.data_type().empty() && s.model) out.set_data_type(s.model->identity().data_type);
    out.set_model_name(s.model_name());
    out.set_model_version(s.model_version());
    const bool scored = s.status == score_status::scored;
    if (scored) {
        const Value& v = s.prediction.value;
        if (v.is_number())
            out.set_number(v.as_number());
        else if (v.is_string())
            out.set_category(std::string(v.text()));
        if (s.model) {
            const auto& names = s.model->schema().outputs;
            for (std::size_t k = 0; k < names.size() && k < s.prediction.outputs.size(); ++k) {
                auto* o = out.add_outputs();
                o->set_name(names[k]);
                const Value& ov = s.prediction.outputs[k];
                if (ov.is_number())
                    o->set_number(ov.as_number());
                else if (ov.is_string())
                    o->set_text(std::string(ov.text()));
            }
        }
    } else {
        std::string_view why = detail::reason_of(s);
        out.set_error(why.empty() ? std::string(to_string(s.status)) : std::string(why));
    }
    out.set_duration_ns(static_cast<std::int64_t>(s.duration.count()));
    if (!s.answered_by.empty()) out.set_answered_by(s.answered_by);
    if constexpr (std::is_same_v<T, row>) out.set_record_key(s.record.origin());
}

template <class T>
proto::ScoredResult to_scored_result(const Scored<T>& s) {
    proto::ScoredResult r;
    to_scored_result(s, r);
    return r;
}

/// Writes Scored<T> results as length-delimited proto::ScoredResult messages.
template <class T>
class scored_result_sink {
public:
    explicit scored_result_sink(const std::filesystem::path& path) : out_(path) {}
    scored_result_sink(std::ostream& out, std::string name = "<stream>") : out_(out, std::move(name)) {}

    void write(const Scored<T>& s) {
        to_scored_result(s, message_);
        out_.write(message_);
    }
    void operator()(const Scored<T>& s) { write(s); }
    void flush() { out_.flush(); }
    std::uint64_t messages_written() const noexcept { return out_.messages_written(); }

private:
    delimited_writer out_;
    proto::ScoredResult message_;
};

}  // namespace scorestream::io
