"""S3 gateways (Ceph RGW) ikzops keeps its repositories on: made to match the model."""
