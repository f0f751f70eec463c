#pragma once

#include <parley/portal/http/http_error.h>

#include <parley/portal/accounts/account_service.h>

namespace parley::portal {

/// The HTTP answer for a refused account operation.
inline HttpError toHttpError(const AccountError& error)
{
    using Status = Poco::Net::HTTPResponse::HTTPStatus;
    switch (error.kind()) {
    case AccountError::Kind::NotFound:
        return HttpError(Status::HTTP_NOT_FOUND, error.code(), error.what());
    case AccountError::Kind::Conflict:
        return HttpError(Status::HTTP_CONFLICT, error.code(), error.what());
    case AccountError::Kind::Forbidden:
        return HttpError(Status::HTTP_FORBIDDEN, error.code(), error.what());
    case AccountError::Kind::Invalid:
        break;
    }
    return HttpError(Status::HTTP_BAD_REQUEST, error.code(), error.what());
}

} // namespace parley::portal
