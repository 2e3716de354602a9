#pragma once
// Helpers for the io tests: a fresh temporary directory per test, and small file utilities.

#include <scorestream/model/model.hpp>
#include <scorestream/stream/scored.hpp>
#include <scorestream/stream/source.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

namespace Catch {
/// Readable Values in failure messages.
template <>
struct StringMaker<scorestream::Value> {
    static std::string convert(const scorestream::Value& v) {
        switch (v.kind()) {
            case scorestream::Value::Kind::missing:
                return "missing";
            case scorestream::Value::Kind::number:
                return "number " + scorestream::to_string(v);
            case scorestream::Value::Kind::string:
                return "string \"" + std::string(v.text()) + "\"";
        }
        return "?";
    }
};
}  // namespace Catch

namespace io_test {

namespace fs = std::filesystem;

/// A directory unique to one test, emptied on creation and removed afterwards.
class temp_dir {
public:
    explicit temp_dir(std::string_view name) {
        const char* base = std::getenv("SCORESTREAM_TEST_TMP");
        fs::path root = base && *base ? fs::path(base) : fs::temp_directory_path() / "scorestream-io-tests";
        path_ = root / std::string(name);
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const fs::path& path() const noexcept { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

inline void write_file(const fs::path& p, std::string_view bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Everything a source produces until it ends: items, and the errors in between.
template <class Source>
struct drained {
    std::vector<typename Source::value_type> items;
    std::vector<scorestream::record_error> errors;
    std::vector<scorestream::pull> order;  ///< item/error sequence
};

template <class Source>
drained<Source> drain(Source& src, std::size_t max_calls = 100000) {
    drained<Source> d;
    typename Source::value_type v;
    for (std::size_t i = 0; i < max_calls; ++i) {
        auto p = src.next(v);
        if (p == scorestream::pull::end) break;
        if (p == scorestream::pull::idle) continue;
        d.order.push_back(p);
        if (p == scorestream::pull::item) d.items.push_back(v);
        if (p == scorestream::pull::error) d.errors.push_back(src.error());
    }
    return d;
}

/// A model that answers with fixed outputs, for the result sinks.
class fixed_model : public scorestream::Model {
public:
    fixed_model(std::string name, std::string version, std::vector<std::string> outputs) {
        id_.name = std::move(name);
        id_.version = std::move(version);
        id_.type = "fixed";
        id_.data_type = "wine";
        schema_.target = "quality";
        schema_.outputs = std::move(outputs);
    }
    const scorestream::ModelIdentity& identity() const noexcept override { return id_; }
    const scorestream::ModelSchema& schema() const noexcept override { return schema_; }
    void score(const scorestream::FeatureRow&, scorestream::Prediction& out) const override {
        out.reset(schema_.outputs.size());
    }
    std::string to_bytes() const override { return {}; }

private:
    scorestream::ModelIdentity id_;
    scorestream::ModelSchema schema_;
};

/// A scored result of `model` for `record` with the given score and outputs.
template <class T>
scorestream::Scored<T> scored(T record, std::shared_ptr<const scorestream::Model> model,
                              scorestream::Value score, std::vector<scorestream::Value> outputs) {
    scorestream::Scored<T> s;
    s.record = std::move(record);
    s.status = scorestream::score_status::scored;
    s.model = std::move(model);
    s.prediction.value = score;
    s.prediction.outputs = std::move(outputs);
    s.duration = std::chrono::nanoseconds(1500);
    return s;
}

template <class T>
scorestream::Scored<T> unscored(T record, std::string reason) {
    scorestream::Scored<T> s;
    s.record = std::move(record);
    s.status = scorestream::score_status::no_model;
    s.reason = std::move(reason);
    return s;
}

}  // namespace io_test
