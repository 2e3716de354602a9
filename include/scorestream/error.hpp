#pragma once
// The exception hierarchy thrown at load and configuration time. The per-record hot path never
// throws out of a pipeline: a failed record becomes an error result instead (see docs/architecture.md).

#include <stdexcept>
#include <string>

namespace scorestream {

/// Base of every exception scorestream throws.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Malformed input: a model document, a record, a message or a file that cannot be read as its format.
class parse_error : public error {
public:
    using error::error;
};

/// Well-formed input that asks for something this build does not implement.
class unsupported_error : public error {
public:
    using error::error;
};

/// A value outside what is allowed: a bad argument, an out-of-range option, an invalid field value.
class invalid_value_error : public error {
public:
    using error::error;
};

/// A file or stream could not be opened, read or written.
class io_error : public error {
public:
    using error::error;
};

/// A model could not be built from its descriptor (unknown type, factory failure, bad location).
class model_error : public error {
public:
    using error::error;
};

}  // namespace scorestream
