#pragma once
// What the serving tests share: a record type, a result row and a drain loop.
#include <scorestream/scorestream.hpp>
#include <scorestream/serve/serve.hpp>

#include "test_models.hpp"

#include <string>
#include <vector>

namespace scorestream::testing {

/// An id, a data type, two numeric features and a customer (the A/B key).
struct order {
    int id = 0;
    std::string type = "t";
    double x = 0;
    double y = 0;
    std::string customer{};
};

/// One output, flattened for assertions.
struct outcome {
    int id = 0;
    score_status status = score_status::no_model;
    std::string model;   ///< "name@version" of the model named by the result
    std::string answer;  ///< the prediction as text
    std::string answered_by;
    std::string reason;
};

inline auto collect(std::vector<outcome>& out) {
    return sink([&out](const Scored<order>& s) {
        out.push_back({s.record.id, s.status, s.model ? s.model_name() + "@" + s.model_version() : "",
                       s.ok() ? to_string(s.prediction.value) : "", s.answered_by, s.reason});
    });
}

template <class P>
void drain(P& p) {
    while (!p.poll(1000).done) {
    }
}

}  // namespace scorestream::testing

template <>
struct scorestream::record_traits<scorestream::testing::order>
    : scorestream::struct_record<scorestream::testing::order> {
    using order = scorestream::testing::order;
    static const field_table<order>& fields() {
        static const auto table = field_table<order>{}
                                      .add<&order::x>("x")
                                      .add<&order::y>("y")
                                      .add<&order::id>("id")
                                      .add<&order::customer>("customer");
        return table;
    }
    static std::string_view data_type(const order& r) { return r.type; }
};
