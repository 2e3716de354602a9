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
//     static field_access access(const T& sample, std::size_t index);
//         how to read field `index` without a lookup: a plain data member at a byte offset, or a
//         function; a binding then reads fields straight from the record (struct_record does this)
//
// Ready-made: io::row (CSV, JSON lines), protobuf messages (reflection), and user structs through
// struct_record<T> below.

#include <scorestream/detail/inline.hpp>
#include <scorestream/model/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
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

/// How a binding reads one field of a record, resolved at bind time: a data member of a plain
/// type at a byte offset from the record's address (read with one load, no call), or a function.
struct field_access {
    enum class kind : std::uint8_t {
        missing,
        f64,
        f32,
        i64,
        i32,
        i16,
        i8,
        u64,
        u32,
        u16,
        u8,
        boolean,
        string,
        call
    };
    kind how = kind::missing;
    std::uint32_t offset = 0;  ///< kinds f64 .. string
    /// kind call: call(context, record, out)
    void (*call)(const void* context, const void* record, Value& out) = nullptr;
    const void* context = nullptr;

    /// The access kind of a data member type, or kind::call when it is not a plain type.
    template <class V>
    static constexpr kind kind_of() noexcept {
        using K = kind;
        if constexpr (std::is_same_v<V, double>)
            return K::f64;
        else if constexpr (std::is_same_v<V, float>)
            return K::f32;
        else if constexpr (std::is_same_v<V, bool>)
            return K::boolean;
        else if constexpr (std::is_integral_v<V> && std::is_signed_v<V> && sizeof(V) == 8)
            return K::i64;
        else if constexpr (std::is_integral_v<V> && std::is_signed_v<V> && sizeof(V) == 4)
            return K::i32;
        else if constexpr (std::is_integral_v<V> && std::is_signed_v<V> && sizeof(V) == 2)
            return K::i16;
        else if constexpr (std::is_integral_v<V> && std::is_signed_v<V> && sizeof(V) == 1)
            return K::i8;
        else if constexpr (std::is_integral_v<V> && sizeof(V) == 8)
            return K::u64;
        else if constexpr (std::is_integral_v<V> && sizeof(V) == 4)
            return K::u32;
        else if constexpr (std::is_integral_v<V> && sizeof(V) == 2)
            return K::u16;
        else if constexpr (std::is_integral_v<V> && sizeof(V) == 1)
            return K::u8;
        else if constexpr (std::is_same_v<V, std::string>)
            return K::string;
        else
            return K::call;
    }

    /// Reads the field from `record` (the address of the whole record) into `out`.
    void read(const void* record, Value& out) const noexcept {
        const char* p = static_cast<const char*>(record) + offset;
        switch (how) {
            case kind::f64:
                out = Value::number(load<double>(p));
                return;
            case kind::f32:
                out = Value::number(static_cast<double>(load<float>(p)));
                return;
            case kind::i64:
                out = Value::number(static_cast<double>(load<std::int64_t>(p)));
                return;
            case kind::i32:
                out = Value::number(static_cast<double>(load<std::int32_t>(p)));
                return;
            case kind::i16:
                out = Value::number(static_cast<double>(load<std::int16_t>(p)));
                return;
            case kind::i8:
                out = Value::number(static_cast<double>(load<std::int8_t>(p)));
                return;
            case kind::u64:
                out = Value::number(static_cast<double>(load<std::uint64_t>(p)));
                return;
            case kind::u32:
                out = Value::number(static_cast<double>(load<std::uint32_t>(p)));
                return;
            case kind::u16:
                out = Value::number(static_cast<double>(load<std::uint16_t>(p)));
                return;
            case kind::u8:
                out = Value::number(static_cast<double>(load<std::uint8_t>(p)));
                return;
            case kind::boolean:
                out = Value::number(load<bool>(p) ? 1.0 : 0.0);
                return;
            case kind::string:
                out = Value::string(*reinterpret_cast<const std::string*>(p));
                return;
            case kind::call:
                call(context, record, out);
                return;
            case kind::missing:
                out = Value::missing();
                return;
        }
    }

private:
    template <class V>
    static V load(const char* p) noexcept {
        return *reinterpret_cast<const V*>(p);
    }
};

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
template <class T, class = void>
struct has_field_access : std::false_type {};
template <class T>
struct has_field_access<
    T, std::void_t<decltype(record_traits<T>::access(std::declval<const T&>(), std::size_t{}))>>
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
        fields_.push_back({get, nullptr, field_access::kind::call, nullptr});
        return std::move(*this);
    }

    /// A field read from a data member: arithmetic members become numbers, string members strings,
    /// std::optional members missing when empty.
    template <auto Member>
    field_table&& add(std::string name) && {
        using V = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<const T&>().*Member)>>;
        names_.push_back(std::move(name));
        fields_.push_back(
            {nullptr, +[](const T& r, Value& out) { out = to_value(r.*Member); }, field_access::kind_of<V>(),
             +[](const T& r) noexcept {
                 return static_cast<std::ptrdiff_t>(reinterpret_cast<const char*>(&(r.*Member)) -
                                                    reinterpret_cast<const char*>(&r));
             }});
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

    /// How to read field i of records laid out like `sample` without going through the table:
    /// plain data members by offset, everything else through a call into this table (which must
    /// outlive the binding: tables returned by record_traits<T>::fields() are static).
    field_access access(const T& sample, std::size_t i) const noexcept {
        const auto& f = fields_[i];
        field_access a;
        if (f.kind != field_access::kind::call && f.offset) {
            const std::ptrdiff_t off = f.offset(sample);
            if (off >= 0 && off <= static_cast<std::ptrdiff_t>(UINT32_MAX)) {
                a.how = f.kind;
                a.offset = static_cast<std::uint32_t>(off);
                return a;
            }
        }
        a.how = field_access::kind::call;
        a.context = &f;
        a.call = +[](const void* context, const void* record, Value& out) noexcept {
            const auto& acc = *static_cast<const accessor*>(context);
            const T& r = *static_cast<const T*>(record);
            if (acc.put)
                acc.put(r, out);
            else
                out = acc.get(r);
        };
        return a;
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
        getter get;                                   // user function
        void (*put)(const T&, Value&);                // data member, written in place
        field_access::kind kind;                      // data member: how it reads directly
        std::ptrdiff_t (*offset)(const T&) noexcept;  // data member: its offset in a record
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
    /// Field i read directly (see field_table::access); bindings use this on the per-record path.
    static field_access access(const T& sample, std::size_t i) noexcept {
        return record_traits<T>::fields().access(sample, i);
    }
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
    static constexpr char unbound = 0;  ///< its address: the schema of a binding not yet resolved

    static double read_f64(const char* p) noexcept {
        double x;
        std::memcpy(&x, p, sizeof x);
        return x;
    }

    /// The layout this binding was resolved for; a default binding is bound to no layout at all
    /// (not even a null one), so the first record of any layout resolves it.
    const void* schema = &unbound;
    std::shared_ptr<const void> schema_owner;  ///< keeps `schema` alive when the layout is owned
    std::vector<std::size_t> index;
    std::vector<field_access> access;    ///< per input, when record_traits<T>::access exists
    bool all_f64 = false;                ///< every access is a double member: gather by offsets alone
    std::vector<std::uint32_t> offsets;  ///< when all_f64: the members' offsets (else empty)
    /// When all_f64 with at most 4 inputs: their count and offsets, held here so that gather_into
    /// reads them without reaching into the vector (the usual small model); 0 otherwise.
    std::uint32_t few = 0;
    std::uint32_t few_offsets[4] = {};
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
            if constexpr (detail::has_field_access<T>::value)
                b.access.push_back(i ? record_traits<T>::access(sample, *i) : field_access{});
        }
        if constexpr (detail::has_field_access<T>::value) {
            b.all_f64 = true;
            for (const auto& a : b.access) {
                b.all_f64 = b.all_f64 && a.how == field_access::kind::f64;
                b.offsets.push_back(a.offset);
            }
            if (!b.all_f64) b.offsets.clear();
            if (b.offsets.size() <= 4) {
                b.few = static_cast<std::uint32_t>(b.offsets.size());
                for (std::size_t k = 0; k < b.offsets.size(); ++k) b.few_offsets[k] = b.offsets[k];
            }
        }
        return b;
    }

    /// Makes `row` (sized to the model's inputs) ready for gather_into(): for a binding of double
    /// members alone every value becomes a number, so that gather_into rewrites only the numbers.
    void prepare(std::vector<Value>& row) const noexcept {
        if (all_f64)
            for (Value& v : row) v = Value::number(0.0);
    }

    /// Fills `row` from record r, as gather() does, into a row that prepare() made ready for this
    /// binding and that nothing but gather_into() has written since (the stages keep such a row).
    template <class T>
    SCORESTREAM_HOT_INLINE void gather_into(const T& r, std::vector<Value>& row) const noexcept {
        if constexpr (detail::has_field_access<T>::value) {
            // Numeric features: one load and one store per field; the row is already all numbers.
            const char* bytes = static_cast<const char*>(static_cast<const void*>(std::addressof(r)));
            Value* out = row.data();
            if (few != 0) {
                for (std::uint32_t k = 0; k < few; ++k) out[k].number_ = read_f64(bytes + few_offsets[k]);
                return;
            }
            if (!offsets.empty()) {
                for (std::uint32_t off : offsets) (out++)->number_ = read_f64(bytes + off);
                return;
            }
        }
        gather(r, row);
    }

    /// Fills `row` (sized to the model's inputs) from record r.
    template <class T>
    void gather(const T& r, std::vector<Value>& row) const noexcept {
        if constexpr (detail::has_field_access<T>::value) {
            const void* base = std::addressof(r);
            Value* out = row.data();
            if (all_f64) {
                // The common case of numeric features: one load and one store per field.
                const char* bytes = static_cast<const char*>(base);
                for (std::uint32_t off : offsets) *out++ = Value::number(read_f64(bytes + off));
                return;
            }
            for (const field_access& a : access) a.read(base, *out++);
            return;
        } else if constexpr (detail::has_bulk_gather<T>::value) {
            record_traits<T>::gather(r, index.data(), index.size(), row.data());
            return;
        }
        for (std::size_t k = 0; k < index.size(); ++k)
            row[k] = index[k] == npos ? Value::missing() : record_traits<T>::field(r, index[k]);
    }
};

}  // namespace scorestream
