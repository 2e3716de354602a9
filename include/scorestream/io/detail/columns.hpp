#pragma once
// Internal: the column bindings the sinks use. record_columns reads chosen fields out of any record
// type with record_traits, resolving names to indices once per record layout; output_columns maps
// a fixed list of output names onto the outputs of whichever model answered, once per model.

#include <scorestream/error.hpp>
#include <scorestream/io/row.hpp>
#include <scorestream/model/model.hpp>
#include <scorestream/model/record.hpp>
#include <scorestream/stream/scored.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace scorestream::io::detail {

template <class T>
class record_columns {
public:
    static constexpr std::size_t npos = feature_binding::npos;

    explicit record_columns(std::vector<std::string> names) : names_(std::move(names)) {
        if constexpr (!has_record_traits_v<T>) {
            if (!names_.empty())
                throw invalid_value_error(
                    "record columns were requested, but this record type has no record_traits "
                    "specialization");
        }
    }

    const std::vector<std::string>& names() const noexcept { return names_; }
    bool empty() const noexcept { return names_.empty(); }

    /// The chosen fields of r, in names() order; missing where r's layout has no such field.
    void gather(const T& r, std::vector<Value>& out) {
        out.assign(names_.size(), Value::missing());
        if constexpr (has_record_traits_v<T>) {
            if (names_.empty()) return;
            const void* s = record_traits<T>::schema(r);
            if (s != schema_ || index_.size() != names_.size()) {
                schema_ = s;
                // Hold an io::row layout alive while it is cached, so its address cannot be reused
                // by a different layout and mistaken for this one.
                if constexpr (std::is_same_v<T, row>) keep_ = r.schema();
                index_.clear();
                for (const auto& n : names_) {
                    auto i = record_traits<T>::field_index(r, n);
                    index_.push_back(i ? *i : npos);
                }
            }
            for (std::size_t k = 0; k < names_.size(); ++k)
                if (index_[k] != npos) out[k] = record_traits<T>::field(r, index_[k]);
        } else {
            (void)r;
        }
    }

private:
    std::vector<std::string> names_;
    const void* schema_ = nullptr;
    schema_ptr keep_;
    std::vector<std::size_t> index_;
};

/// Why a result was not scored: its reason, else the model's error ("" for a scored result).
template <class T>
std::string_view reason_of(const Scored<T>& s) noexcept {
    if (!s.reason.empty()) return s.reason;
    return s.prediction.error;
}

/// A fixed list of output names matched against each answering model's ModelSchema::outputs.
class output_columns {
public:
    static constexpr std::size_t npos = feature_binding::npos;

    output_columns() = default;
    explicit output_columns(std::vector<std::string> names) : names_(std::move(names)) {}

    const std::vector<std::string>& names() const noexcept { return names_; }
    void set_names(std::vector<std::string> names) {
        names_ = std::move(names);
        model_.reset();
    }

    /// Resolves the columns against `model` (cached: recomputed only when the model changes).
    void bind(const ModelPtr& model) {
        if (model == model_) return;
        model_ = model;  // holding the model keeps its address from being reused by another one
        map_.assign(names_.size(), npos);
        unmatched_ = 0;
        if (!model) return;
        const auto& outs = model->schema().outputs;
        for (std::size_t j = 0; j < outs.size(); ++j) {
            bool found = false;
            for (std::size_t k = 0; k < names_.size(); ++k)
                if (names_[k] == outs[j]) {
                    map_[k] = j;
                    found = true;
                    break;
                }
            if (!found) ++unmatched_;
        }
    }

    /// The model output index for column k, or npos.
    std::size_t index(std::size_t k) const noexcept { return k < map_.size() ? map_[k] : npos; }
    /// How many outputs of the bound model have no column.
    std::size_t unmatched() const noexcept { return unmatched_; }

private:
    std::vector<std::string> names_;
    ModelPtr model_;
    std::vector<std::size_t> map_;
    std::size_t unmatched_ = 0;
};

}  // namespace scorestream::io::detail
