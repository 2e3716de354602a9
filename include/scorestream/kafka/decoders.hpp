#pragma once
// Decoders: one Kafka message payload -> one record. A decoder is any callable
//
//     bool decode(const kafka::message_view& m, T& out, std::string& why);
//
// returning false with the reason for a payload it cannot read (the record is then a poison record:
// sent to the dead-letter topic, reported, and skipped). Decoders never throw for bad input.
//
// Ready-made: csv_decoder (one CSV line per message -> io::row, RFC 4180 quoting, numbers and missing
// values as io::csv_source reads them), json_decoder (one flat JSON object -> io::row, values as
// io::json_lines_source reads them), protobuf_decoder<Msg> (one serialized message; also the
// decoder of ModelDescriptors on the control topic).
// Thread-safety: a decoder object is used by one thread at a time.

#include <scorestream/io/row.hpp>
#include <scorestream/kafka/client.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace scorestream::kafka {

template <class T>
using decoder = std::function<bool(const message_view&, T&, std::string&)>;

struct csv_decoder_options {
    std::vector<std::string> columns;  ///< the fields of every line, in order (required)
    char separator = ',';
    char quote = '"';
    std::vector<std::string> missing_values{"", "NA"};
    bool parse_numbers = true;
    std::string data_type_column;  ///< the column holding each record's data type
    std::string data_type;         ///< the data type of every record (or the fallback)
    /// Columns that must hold a number: a line with anything else there is a poison record.
    std::vector<std::string> numeric_columns;
    std::string name = "kafka";  ///< the schema's source name (io::row::source())
};

/// One CSV line per message, with exactly `columns.size()` cells. All rows share one schema.
class csv_decoder {
public:
    explicit csv_decoder(csv_decoder_options o);
    bool operator()(const message_view& m, io::row& out, std::string& why) const;
    const io::schema_ptr& schema() const noexcept { return schema_; }

private:
    csv_decoder_options o_;
    io::schema_ptr schema_;
    std::vector<std::size_t> numeric_;
    io::row shape_;               // a full row's storage, copied into rows that arrive empty
    mutable std::string quoted_;  // the text of a quoted cell (a decoder is used by one thread)
};

struct json_decoder_options {
    std::string data_type_field;  ///< the field holding each record's data type
    std::string data_type;        ///< the data type of every record (or the fallback)
    /// Fields every record must have, with a non-null value: a record without one is poison.
    std::vector<std::string> required;
    std::size_t max_layouts = 1024;
    std::string name = "kafka";
};

/// One flat JSON object per message. Rows with the same keys in the same order share one schema.
class json_decoder {
public:
    explicit json_decoder(json_decoder_options o);
    bool operator()(const message_view& m, io::row& out, std::string& why);

private:
    io::schema_ptr layout(const std::string& keys, std::string& why);
    json_decoder_options o_;
    std::unordered_map<std::string, io::schema_ptr> layouts_;
    std::string keys_;
};

/// One serialized protobuf message per Kafka message.
template <class Msg>
struct protobuf_decoder {
    bool operator()(const message_view& m, Msg& out, std::string& why) const {
        out.Clear();
        if (out.ParseFromArray(m.payload.data(), static_cast<int>(m.payload.size()))) return true;
        why = "cannot parse " + std::to_string(m.payload.size()) + "-byte message as " + out.GetTypeName();
        return false;
    }
};

}  // namespace scorestream::kafka
