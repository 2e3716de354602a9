#pragma once
// A tiny custom model type for tests: a linear model whose bytes are its text form
//     bias 0.5
//     w x 1.5
//     w y -2
// Registered under the factory name "linear" (ModelDescriptor.model_type = CUSTOM, custom_type = "linear").
// The score is bias + sum(w * input); a missing input makes the record fail with a reason.

#include <scorestream/error.hpp>
#include <scorestream/model/factory.hpp>

#include "text_model.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace scorestream::testing {

class linear_model final : public Model {
public:
    linear_model(ModelIdentity id, std::string text) : id_(std::move(id)), text_(std::move(text)) {
        std::istringstream in(text_);
        std::string word;
        int line = 0;
        std::string row;
        while (std::getline(in, row)) {
            ++line;
            std::istringstream ls(row);
            if (!(ls >> word)) continue;
            if (word == "bias") {
                if (!(ls >> bias_))
                    throw parse_error("linear model line " + std::to_string(line) + ": bias needs a number");
            } else if (word == "w") {
                std::string name;
                double w = 0;
                if (!(ls >> name >> w))
                    throw parse_error("linear model line " + std::to_string(line) +
                                      ": expected 'w <input> <weight>'");
                schema_.inputs.push_back(name);
                weights_.push_back(w);
            } else if (word == "throw") {
                throws_ = true;
            } else {
                throw parse_error("linear model line " + std::to_string(line) + ": unknown word '" + word +
                                  "'");
            }
        }
        if (schema_.inputs.empty()) throw parse_error("linear model: no weights");
        schema_.target = "score";
    }

    const ModelIdentity& identity() const noexcept override { return id_; }
    const ModelSchema& schema() const noexcept override { return schema_; }
    std::string to_bytes() const override { return text_; }

    void score(const FeatureRow& row, Prediction& out) const override {
        out.reset(0);
        if (throws_) throw std::runtime_error("linear model asked to throw");
        double s = bias_;
        for (std::size_t i = 0; i < weights_.size(); ++i) {
            if (!row[i].is_number()) {
                out.error = "input '" + schema_.inputs[i] + "' is not a number";
                return;
            }
            s += weights_[i] * row[i].as_number();
        }
        out.value = Value::number(s);
    }

private:
    ModelIdentity id_;
    std::string text_;
    ModelSchema schema_;
    std::vector<double> weights_;
    double bias_ = 0;
    bool throws_ = false;
};

class linear_factory final : public text_model_factory<linear_model> {
public:
    linear_factory() : text_model_factory("linear") {}
};

inline ModelDescriptor linear_descriptor(std::string data_type, std::string name, std::string version,
                                         std::string text) {
    return custom_descriptor("linear", std::move(data_type), std::move(name), std::move(version),
                             std::move(text));
}

}  // namespace scorestream::testing
