// libFuzzer target: any byte string given to pmml::load either compiles or throws a
// scorestream::error; a compiled model then scores a few records without crashing. Anything else
// (another exception type, a crash, a sanitizer report, a hang) is a bug.

#include <scorestream/error.hpp>
#include <scorestream/pmml/model.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace scorestream;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    pmml::PmmlModelPtr model;
    try {
        pmml::LoadOptions options;
        options.max_depth = 200;
        model = pmml::load(text, options);
    } catch (const scorestream::error&) {
        return 0;
    }
    const std::size_t n = model->schema().inputs.size();
    std::vector<Value> row(n);
    Prediction p;
    model->score(FeatureRow(row.data(), row.size()), p);  // all missing
    for (auto& v : row) v = Value::number(1.5);
    model->score(FeatureRow(row.data(), row.size()), p);
    for (auto& v : row) v = Value::string("a");
    model->score(FeatureRow(row.data(), row.size()), p);
    for (auto& v : row) v = Value::number(-1e308);
    model->score(FeatureRow(row.data(), row.size()), p);
    return 0;
}
