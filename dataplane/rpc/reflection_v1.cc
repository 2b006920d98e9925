#include "rpc/reflection_v1.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

#include <mutex>
#include <set>

#include "grpc/health/v1/health.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace edgelb::rpc {
namespace {

namespace pb = grpc::reflection::v1;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;

class ReflectionService final : public pb::ServerReflection::Service {
 public:
  void set_services(const std::vector<std::string>& names) {
    std::lock_guard l(mu_);
    services_ = names;
  }

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<pb::ServerReflectionResponse, pb::ServerReflectionRequest>* stream) override {
    std::set<std::string> sent;  // files already sent on this stream: dependencies go once
    pb::ServerReflectionRequest req;
    while (!ctx->IsCancelled() && stream->Read(&req)) {
      pb::ServerReflectionResponse resp;
      resp.set_valid_host(req.host());
      *resp.mutable_original_request() = req;
      answer(req, &resp, &sent);
      if (!stream->Write(resp)) break;
    }
    return grpc::Status::OK;
  }

 private:
  static void not_found(pb::ServerReflectionResponse* resp, const std::string& what) {
    resp->mutable_error_response()->set_error_code(grpc::NOT_FOUND);
    resp->mutable_error_response()->set_error_message(what + " not found");
  }

  // The file and every dependency the client has not received on this stream, file first.
  static void add_file(const FileDescriptor* file, pb::ServerReflectionResponse* resp, std::set<std::string>* sent) {
    std::vector<const FileDescriptor*> todo = {file};
    auto* out = resp->mutable_file_descriptor_response();
    bool first = true;
    while (!todo.empty()) {
      const FileDescriptor* f = todo.back();
      todo.pop_back();
      if (!first && sent->count(f->name())) continue;
      first = false;
      sent->insert(f->name());
      google::protobuf::FileDescriptorProto proto;
      f->CopyTo(&proto);
      out->add_file_descriptor_proto(proto.SerializeAsString());
      for (int i = 0; i < f->dependency_count(); ++i) todo.push_back(f->dependency(i));
    }
  }

  void answer(const pb::ServerReflectionRequest& req, pb::ServerReflectionResponse* resp, std::set<std::string>* sent) {
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    switch (req.message_request_case()) {
      case pb::ServerReflectionRequest::kListServices: {
        std::lock_guard l(mu_);
        for (const auto& s : services_) resp->mutable_list_services_response()->add_service()->set_name(s);
        return;
      }
      case pb::ServerReflectionRequest::kFileByFilename:
        if (const FileDescriptor* f = pool->FindFileByName(req.file_by_filename())) return add_file(f, resp, sent);
        return not_found(resp, "file " + req.file_by_filename());
      case pb::ServerReflectionRequest::kFileContainingSymbol:
        if (const FileDescriptor* f = pool->FindFileContainingSymbol(req.file_containing_symbol()))
          return add_file(f, resp, sent);
        return not_found(resp, "symbol " + req.file_containing_symbol());
      case pb::ServerReflectionRequest::kFileContainingExtension: {
        const auto& x = req.file_containing_extension();
        const auto* type = pool->FindMessageTypeByName(x.containing_type());
        const auto* ext = type ? pool->FindExtensionByNumber(type, x.extension_number()) : nullptr;
        if (ext) return add_file(ext->file(), resp, sent);
        return not_found(resp, "extension " + std::to_string(x.extension_number()) + " of " + x.containing_type());
      }
      case pb::ServerReflectionRequest::kAllExtensionNumbersOfType: {
        const auto* type = pool->FindMessageTypeByName(req.all_extension_numbers_of_type());
        if (!type) return not_found(resp, "type " + req.all_extension_numbers_of_type());
        std::vector<const google::protobuf::FieldDescriptor*> exts;
        pool->FindAllExtensions(type, &exts);
        auto* out = resp->mutable_all_extension_numbers_response();
        out->set_base_type_name(type->full_name());
        for (const auto* e : exts) out->add_extension_number(e->number());
        return;
      }
      case pb::ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET: break;
    }
    resp->mutable_error_response()->set_error_code(grpc::INVALID_ARGUMENT);
    resp->mutable_error_response()->set_error_message("empty reflection request");
  }

  std::mutex mu_;
  std::vector<std::string> services_;
};

// Registers the service at InitServer and learns the server's service names at Finish, as
// gRPC's reflection plugin does.
class ReflectionPlugin final : public grpc::ServerBuilderPlugin {
 public:
  std::string name() override { return "edgelb_reflection_v1"; }
  void InitServer(grpc::ServerInitializer* si) override { si->RegisterService(service_); }
  void Finish(grpc::ServerInitializer* si) override { service_->set_services(*si->GetServiceList()); }
  void ChangeArguments(const std::string&, void*) override {}
  bool has_sync_methods() const override { return true; }
  bool has_async_methods() const override { return false; }

 private:
  std::shared_ptr<ReflectionService> service_ = std::make_shared<ReflectionService>();
};

class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ReflectionPlugin>());
  }
};

}  // namespace

void enable_reflection_v1(grpc::ServerBuilder& builder) {
  register_health_descriptors();
  builder.SetOption(std::make_unique<ReflectionOption>());
}

void register_health_descriptors() {
  // Naming a generated descriptor keeps its object file in the link, which registers the file.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
}

}  // namespace edgelb::rpc
