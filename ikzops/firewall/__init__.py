"""The firewall per role: what each host accepts (rules), and the nftables table it is (nft)."""
