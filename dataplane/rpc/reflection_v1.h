// grpc.reflection.v1.ServerReflection for a grpc::ServerBuilder: the stable reflection
// protocol, answered from the compiled-in descriptors (DescriptorPool::generated_pool()), as
// gRPC's own plugin answers the older v1alpha one. With both, any reflection client (grpcurl,
// Postman, Envoy) can list and describe every service of the server, grpc.health.v1.Health
// included (rpc/proto/grpc/health/v1/health.proto is linked in for that).
// Call before BuildAndStart(); the server owns the service.
#pragma once

#include <grpcpp/server_builder.h>

namespace edgelb::rpc {

void enable_reflection_v1(grpc::ServerBuilder& builder);

// Links the grpc.health.v1 descriptors into the program (gRPC's default health service has
// none), so that reflection can describe the Health service. Idempotent.
void register_health_descriptors();

}  // namespace edgelb::rpc
