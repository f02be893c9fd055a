// The messages of hns-mock/proto/hns.proto as TypeScript types, shared by both doors of the mock
// (gRPC and the framed socket) and by the gRPC client.

export interface CallRequest {
  method: string;
  id: string;
  json: string;
  networkId: string;
}

export interface CallResponse {
  /** Signed 32-bit HRESULT. */
  hresult: number;
  json: string;
  errorRecord: string;
}

export interface AdminRequest {
  action: string;
  json: string;
}

/** What a door of the mock needs from the model: one HCN call in, one answer out. */
export interface HnsCallHandler {
  call(req: CallRequest): Promise<CallResponse>;
}
