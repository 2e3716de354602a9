#pragma once
// kafka::record<T>: a decoded Kafka message (a T: io::row, a protobuf message, a user struct) with
// where it came from (topic, partition, offset, key, timestamp) and the offset_ref that keeps its
// offset uncommitted until everything made from it is acknowledged (see offsets.hpp).
//
// record<T> is a record wherever T is: record_traits<record<T>> reads T's fields and data type, so
// `kafka::data_source<T> | join(models, registry) | score()` gives Scored<kafka::record<T>>, and
// record<T> converts to `const T&` for functions written for T.
//
// kafka::tracked<E>: any element with the offset_ref of the record it came from, for pipelines that
// map records to their own output type (the thermostat's commands) and still write at-least-once.
// Thread-safety: plain values used on the pipeline's thread.

#include <scorestream/kafka/offsets.hpp>
#include <scorestream/model/record.hpp>
#include <scorestream/stream/scored.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace scorestream::kafka {

template <class T>
struct record {
    T value;
    std::string key;                ///< the message key ("" when it had none)
    std::int64_t timestamp_ms = 0;  ///< the message timestamp, 0 when unknown
    offset_ref ref;                 ///< keeps the offset open; see offsets.hpp

    const std::string& topic() const noexcept { return ref.topic(); }
    std::int32_t partition() const noexcept { return ref.partition(); }
    std::int64_t offset() const noexcept { return ref.offset(); }
    /// "topic/partition/offset": the record's identity in results and dead letters.
    std::string id() const {
        std::string s;
        id(s);
        return s;
    }
    /// The same into `out` (replacing its content, reusing its capacity).
    void id(std::string& out) const {
        char digits[24];
        out.assign(ref.topic());
        out += '/';
        out.append(digits, std::to_chars(digits, digits + sizeof digits, ref.partition()).ptr);
        out += '/';
        out.append(digits, std::to_chars(digits, digits + sizeof digits, ref.offset()).ptr);
    }

    operator const T&() const noexcept { return value; }  // NOLINT: lets T's functions take records
};

/// An element made from a record, carrying the record's offset_ref along.
template <class E>
struct tracked {
    E value;
    offset_ref ref;
};

/// The offset_ref an element carries, for Kafka sinks (nullptr when it carries none).
template <class T>
const offset_ref* delivery_ref(const record<T>& r) noexcept {
    return &r.ref;
}
template <class E>
const offset_ref* delivery_ref(const tracked<E>& t) noexcept {
    return &t.ref;
}
template <class T>
const offset_ref* delivery_ref(const Scored<record<T>>& s) noexcept {
    return &s.record.ref;
}
template <class E>
const offset_ref* delivery_ref(const E&) noexcept {
    return nullptr;
}

namespace detail {
template <class T, bool Bulk = scorestream::detail::has_bulk_gather<T>::value>
struct record_gather {};
template <class T>
struct record_gather<T, true> {
    static void gather(const record<T>& r, const std::size_t* index, std::size_t n, Value* out) noexcept {
        record_traits<T>::gather(r.value, index, n, out);
    }
};
template <class T, bool HasType = has_data_type_v<T>>
struct record_data_type {};
template <class T>
struct record_data_type<T, true> {
    static std::string_view data_type(const record<T>& r) { return record_traits<T>::data_type(r.value); }
};
}  // namespace detail

}  // namespace scorestream::kafka

namespace scorestream {

/// A Kafka record reads as the T it holds.
template <class T>
struct record_traits<kafka::record<T>, std::enable_if_t<has_record_traits_v<T>>>
    : kafka::detail::record_gather<T>, kafka::detail::record_data_type<T> {
    static const void* schema(const kafka::record<T>& r) noexcept {
        return record_traits<T>::schema(r.value);
    }
    static std::optional<std::size_t> field_index(const kafka::record<T>& sample, std::string_view name) {
        return record_traits<T>::field_index(sample.value, name);
    }
    static Value field(const kafka::record<T>& r, std::size_t index) noexcept {
        return record_traits<T>::field(r.value, index);
    }
};

}  // namespace scorestream
