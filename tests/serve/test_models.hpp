#pragma once
// Test model types for the serving strategies, custom type "scripted": a model whose answer,
// confidence and failures the test writes in its text, one instruction per line:
//     answer 2.5          the prediction is the number 2.5
//     label cat           the prediction is the category "cat"
//     plus x              add input x to the number answer
//     plus_length s       add the length of string input s to the number answer
//     confidence 0.9      output "confidence" is 0.9
//     confidence_from y   output "confidence" is input y
//     fail_when x 3       fail (out.error) when input x is 3
//     throw_when x 4      throw when input x is 4
//     gate_when x 1       block on the test gate when input x is 1 (see gate below)
// Unknown words make the factory fail, which is how tests send a bad update.

#include <scorestream/error.hpp>
#include <scorestream/model/factory.hpp>
#include <support/text_model.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace scorestream::testing {

/// A gate that blocks "gate_when" models until the test opens it. Thread-safe.
class gate {
public:
    static gate& instance() {
        static gate g;
        return g;
    }
    void close() {
        std::lock_guard<std::mutex> lock(m_);
        open_ = false;
    }
    void open() {
        std::lock_guard<std::mutex> lock(m_);
        open_ = true;
        cv_.notify_all();
    }
    void pass() {
        std::unique_lock<std::mutex> lock(m_);
        ++waiting_;
        cv_.wait(lock, [this] { return open_; });
        --waiting_;
    }
    int waiting() {
        std::lock_guard<std::mutex> lock(m_);
        return waiting_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = true;
    int waiting_ = 0;
};

class scripted_model final : public Model {
public:
    scripted_model(ModelIdentity id, std::string text) : id_(std::move(id)), text_(std::move(text)) {
        std::istringstream in(text_);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string word;
            if (!(ls >> word)) continue;
            if (word == "answer") {
                if (!(ls >> answer_)) throw parse_error("scripted model: answer needs a number");
            } else if (word == "label") {
                ls >> label_;
                is_label_ = true;
            } else if (word == "plus") {
                plus_ = input(ls);
            } else if (word == "plus_length") {
                plus_length_ = input(ls);
            } else if (word == "confidence") {
                ls >> confidence_;
                has_confidence_ = true;
            } else if (word == "confidence_from") {
                confidence_from_ = input(ls);
                has_confidence_ = true;
            } else if (word == "fail_when") {
                fail_on_ = input(ls);
                ls >> fail_value_;
            } else if (word == "throw_when") {
                throw_on_ = input(ls);
                ls >> throw_value_;
            } else if (word == "gate_when") {
                gate_on_ = input(ls);
                ls >> gate_value_;
            } else {
                throw parse_error("scripted model: unknown word '" + word + "'");
            }
        }
        if (schema_.inputs.empty()) schema_.inputs.push_back("x");
        schema_.target = "answer";
        if (has_confidence_) schema_.outputs.push_back("confidence");
    }

    const ModelIdentity& identity() const noexcept override { return id_; }
    const ModelSchema& schema() const noexcept override { return schema_; }
    std::string to_bytes() const override { return text_; }

    void score(const FeatureRow& row, Prediction& out) const override {
        out.reset(schema_.outputs.size());
        if (gate_on_ >= 0 && num(row, gate_on_) == gate_value_) gate::instance().pass();
        if (throw_on_ >= 0 && num(row, throw_on_) == throw_value_) throw std::runtime_error("scripted throw");
        if (fail_on_ >= 0 && num(row, fail_on_) == fail_value_) {
            out.error = "scripted failure";
            return;
        }
        if (is_label_) {
            out.value = Value::string(label_);
        } else {
            double x = answer_ + (plus_ >= 0 ? num(row, plus_) : 0.0);
            if (plus_length_ >= 0) x += double(row[static_cast<std::size_t>(plus_length_)].text().size());
            out.value = Value::number(x);
        }
        if (has_confidence_)
            out.outputs[0] = Value::number(confidence_from_ >= 0 ? num(row, confidence_from_) : confidence_);
    }

private:
    int input(std::istream& ls) {
        std::string name;
        ls >> name;
        for (std::size_t i = 0; i < schema_.inputs.size(); ++i)
            if (schema_.inputs[i] == name) return static_cast<int>(i);
        schema_.inputs.push_back(name);
        return static_cast<int>(schema_.inputs.size() - 1);
    }
    static double num(const FeatureRow& row, int i) {
        const Value& v = row[static_cast<std::size_t>(i)];
        return v.is_number() ? v.as_number() : -1e300;
    }

    ModelIdentity id_;
    std::string text_;
    ModelSchema schema_;
    double answer_ = 0;
    std::string label_;
    bool is_label_ = false;
    int plus_ = -1;
    int plus_length_ = -1;
    double confidence_ = 0;
    bool has_confidence_ = false;
    int confidence_from_ = -1;
    int fail_on_ = -1, throw_on_ = -1, gate_on_ = -1;
    double fail_value_ = 0, throw_value_ = 0, gate_value_ = 0;
};

class scripted_factory final : public text_model_factory<scripted_model> {
public:
    scripted_factory() : text_model_factory("scripted") {}
};

/// A descriptor for member `name` (a role, or "role@model") of `data_type`.
inline ModelDescriptor scripted(std::string data_type, std::string name, std::string version,
                                std::string text) {
    return custom_descriptor("scripted", std::move(data_type), std::move(name), std::move(version),
                             std::move(text));
}

inline ModelRegistry scripted_registry() {
    ModelRegistry reg;
    reg.add(std::make_shared<scripted_factory>());
    return reg;
}

}  // namespace scorestream::testing
