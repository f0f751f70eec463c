#include "api_client.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <cstdio>
#include <sstream>
#include <sys/wait.h>

namespace parley::test {

std::string sessionTokenFrom(const std::string& setCookie)
{
    const std::string prefix = "__Host-parley_session=";
    const auto start = setCookie.find(prefix);
    if (start == std::string::npos)
        return {};
    const auto end = setCookie.find(';', start);
    return setCookie.substr(start + prefix.size(),
                            end == std::string::npos ? std::string::npos : end - start - prefix.size());
}

std::string jsonString(const std::string& text)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(text, out, Poco::JSON_WRAP_STRINGS);
    return out.str();
}

void ApiClient::adopt(const HttpResponse& response)
{
    cookie_ = sessionTokenFrom(response.header("set-cookie"));
    csrf_ = Poco::JSON::Parser()
                .parse(response.body)
                .extract<Poco::JSON::Object::Ptr>()
                ->getValue<std::string>("csrfToken");
}

HttpResponse ApiClient::login(const std::string& username, const std::string& password)
{
    const auto response =
        httpsRequest(port_, "POST", "/api/v1/auth/login",
                     "{\"username\":" + jsonString(username) + ",\"password\":" + jsonString(password) + "}");
    if (response.status == 200)
        adopt(response);
    return response;
}

HttpResponse ApiClient::call(const std::string& method, const std::string& path,
                             const std::string& body, bool withCsrf, const std::string& extraHeaders)
{
    std::string headers = extraHeaders;
    if (!cookie_.empty())
        headers += "Cookie: __Host-parley_session=" + cookie_ + "\r\n";
    if (withCsrf && !csrf_.empty())
        headers += "X-CSRF-Token: " + csrf_ + "\r\n";
    return httpsRequest(port_, method, path, body, headers, sourceAddress_);
}

CommandResult runParleyctl(const std::string& arguments, const std::string& input)
{
    const std::string command = "printf '%s' '" + input + "' | " + std::string(PARLEYCTL_PATH) + " " +
                                arguments + " 2>&1";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return {-1, "popen failed"};
    std::string output;
    std::array<char, 4096> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        output.append(buffer.data(), read);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

} // namespace parley::test
