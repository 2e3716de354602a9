#pragma once
// record_traits<T>: how scorestream reads features out of a user's record type. Feature binding
// resolves a model's input names to field indices once per (record schema, model) pair; per
// record, only field(record, index) is called.
//
// A specialization provides:
//     static const void* schema(const T& r) noexcept;
//         identity of r's layout: records with equal schema() have the same field indices
//     static std::optional<std::size_t> field_index(const T& sample, std::string_view name);
//         the index of a named field in sample's layout, or nullopt if it has none
//     static Value field(const T& r, std::size_t index) noexcept;
// and optionally
//     static std::string_view data_type(const T& r);   // routing key for model serving
//     static void gather(const T& r, const std::size_t* index, std::size_t n, Value* out) noexcept;
//         all bound fields at once (index[k] == npos means missing), when that is cheaper
//     static std::shared_ptr<const void> schema_owner(const T& r);
//         for layouts that can be freed: a binding holds it, so schema() stays unique while bound
//
// Ready-made: io::row (CSV, JSON lines), protobuf messages (reflection), and user structs through
// struct_record<T> below.

#include <scorestream/model/value.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace scorestream {

template <class T, class Enable = void>
struct record_traits;  // specialize for your record type

namespace detail {
template <class T, class = void>
struct has_record_traits : std::false_type {};
template <class T>
struct has_record_traits<T, std::void_t<decltype(record_traits<T>::field(std::declval<const T&>(), 0))>>
    : std::true_type {};
template <class T, class = void>
struct has_data_type : std::false_type {};
template <class T>
struct has_data_type<T, std::void_t<decltype(record_traits<T>::data_type(std::declval<const T&>()))>>
    : std::true_type {};
}  // namespace detail

namespace detail {
template <class T, class = void>
struct has_bulk_gather : std::false_type {};
template <class T>
struct has_bulk_gather<T, std::void_t<decltype(record_traits<T>::gather(
                              std::declval<const T&>(), std::declval<const std::size_t*>(), std::size_t{},
                              std::declval<Value*>()))>> : std::true_type {};
}  // namespace detail

namespace detail {
template <class T, class = void>
struct has_schema_owner : std::false_type {};
template <class T>
struct has_schema_owner<T, std::void_t<decltype(record_traits<T>::schema_owner(std::declval<const T&>()))>>
    : std::true_type {};
}  // namespace detail

template <class T>
inline constexpr bool has_record_traits_v = detail::has_record_traits<T>::value;
template <class T>
inline constexpr bool has_data_type_v = detail::has_data_type<T>::value;

/// The names and getters of a user struct's fields, built once.
///
///     struct reading { double temperature; std::string room; };
///     template <> struct scorestream::record_traits<reading> : scorestream::struct_record<reading> {
///         static const field_table<reading>& fields() {
///             static const auto table = field_table<reading>{}
///                 .add<&reading::temperature>("temperature")
///                 .add<&reading::room>("room");
///             return table;
///         }
///     };
template <class T>
class field_table {
public:
    using getter = Value (*)(const T&);

    /// A field read by a function: `Value(const T&)`.
    field_table&& add(std::string name, getter get) && {
        names_.push_back(std::move(name));
        fields_.push_back({get, nullptr});
        return std::move(*this);
    }

    /// A field read from a data member: arithmetic members become numbers, string members strings,
    /// std::optional members missing when empty.
    template <auto Member>
    field_table&& add(std::string name) && {
        names_.push_back(std::move(name));
        fields_.push_back({nullptr, +[](const T& r, Value& out) { out = to_value(r.*Member); }});
        return std::move(*this);
    }

    std::size_t size() const noexcept { return names_.size(); }
    const std::vector<std::string>& names() const noexcept { return names_; }

    std::optional<std::size_t> index_of(std::string_view name) const {
        for (std::size_t i = 0; i < names_.size(); ++i)
            if (names_[i] == name) return i;
        return std::nullopt;
    }
    Value get(const T& r, std::size_t i) const noexcept {
        Value v;
        put(r, i, v);
        return v;
    }
    /// Writes field i of r into `out` in place (member fields are stored without a round trip
    /// through a returned temporary, which matters on the per-record path).
    void put(const T& r, std::size_t i, Value& out) const noexcept {
        const auto& f = fields_[i];
        if (f.put)
            f.put(r, out);
        else
            out = f.get(r);
    }

    template <class V>
    static Value to_value(const V& v) noexcept {
        if constexpr (std::is_arithmetic_v<V>) {
            return Value::number(static_cast<double>(v));
        } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
            return Value::string(std::string_view(v));
        } else {
            // std::optional<...>
            return v ? to_value(*v) : Value::missing();
        }
    }

private:
    struct accessor {
        getter get;                     // user function
        void (*put)(const T&, Value&);  // data member, written in place
    };
    std::vector<std::string> names_;
    std::vector<accessor> fields_;
};

/// Base for record_traits of a user struct; the derived traits provide `fields()`.
template <class T>
struct struct_record {
    /// Every T has the same layout: a constant tag (no table lookup on the per-record path).
    static const void* schema(const T&) noexcept {
        static constexpr char tag = 0;
        return &tag;
    }
    static std::optional<std::size_t> field_index(const T&, std::string_view name) {
        return record_traits<T>::fields().index_of(name);
    }
    static Value field(const T& r, std::size_t i) noexcept { return record_traits<T>::fields().get(r, i); }
    /// All of a binding's fields at once: one table lookup per record instead of one per field.
    static void gather(const T& r, const std::size_t* index, std::size_t n, Value* out) noexcept {
        const auto& table = record_traits<T>::fields();
        for (std::size_t k = 0; k < n; ++k)
            if (index[k] == static_cast<std::size_t>(-1))
                out[k] = Value::missing();
            else
                table.put(r, index[k], out[k]);
    }
};

/// Model inputs resolved against one record layout: for each input, the record's field index,
/// or npos when the record has no such field (the model then sees it as missing).
struct feature_binding {
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    const void* schema = nullptr;
    std::shared_ptr<const void> schema_owner;  ///< keeps `schema` alive when the layout is owned
    std::vector<std::size_t> index;
    std::vector<std::string> absent;  ///< input names the record layout does not have

    template <class T>
    static feature_binding resolve(const T& sample, const std::vector<std::string>& inputs) {
        feature_binding b;
        b.schema = record_traits<T>::schema(sample);
        if constexpr (detail::has_schema_owner<T>::value)
            b.schema_owner = record_traits<T>::schema_owner(sample);
        b.index.reserve(inputs.size());
        for (const auto& name : inputs) {
            auto i = record_traits<T>::field_index(sample, name);
            b.index.push_back(i ? *i : npos);
            if (!i) b.absent.push_back(name);
        }
        return b;
    }

    /// Fills `row` (sized to the model's inputs) from record r.
    template <class T>
    void gather(const T& r, std::vector<Value>& row) const noexcept {
        if constexpr (detail::has_bulk_gather<T>::value) {
            record_traits<T>::gather(r, index.data(), index.size(), row.data());
            return;
        }
        for (std::size_t k = 0; k < index.size(); ++k)
            row[k] = index[k] == npos ? Value::missing() : record_traits<T>::field(r, index[k]);
    }
};

}  // namespace scorestream
