#pragma once
// Scored<T>: what the score stage emits for each record: the record, the model that scored it
// (name and version for tracking), the prediction, and why not when it was not scored.
// Thread-safety: a plain value.

#include <scorestream/model/model.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace scorestream {

enum class score_status : std::uint8_t {
    scored,    ///< prediction holds the model's answer
    no_model,  ///< no model serves this record's data type (yet); reason says which
    failed,    ///< the model could not score this record; reason says why
};

inline const char* to_string(score_status s) noexcept {
    switch (s) {
        case score_status::scored:
            return "scored";
        case score_status::no_model:
            return "no_model";
        case score_status::failed:
            return "failed";
    }
    return "?";
}

template <class T>
struct Scored {
    T record;
    score_status status = score_status::no_model;
    ModelPtr model;                        ///< the model that answered (null when no_model); keeps it alive
    Prediction prediction;                 ///< valid when status == scored
    std::string reason;                    ///< why not scored (status != scored)
    std::string answered_by;               ///< for multi-model strategies: which member answered and why
    std::chrono::nanoseconds duration{0};  ///< time spent in Model::score (0 when not timed)

    bool ok() const noexcept { return status == score_status::scored; }
    /// The model's name, or "" when no model answered.
    const std::string& model_name() const noexcept { return model ? model->name() : empty(); }
    const std::string& model_version() const noexcept { return model ? model->version() : empty(); }

private:
    static const std::string& empty() noexcept {
        static const std::string e;
        return e;
    }
};

}  // namespace scorestream
