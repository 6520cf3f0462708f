"""Before, during and after a visit: the self-check vs on-site comparison, the 问诊 pack, the 问诊报告."""
