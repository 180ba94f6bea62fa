//! The node pool script: `az aks nodepool add` for both tiers, with the
//! `tier` label and taint the pods select and tolerate.

use std::path::PathBuf;

use crate::DeployConfig;
use crate::render::{FileKind, RenderedFile};
use omega_config::deploy::NodePool;

fn pool_command(deploy: &DeployConfig, pool: &NodePool) -> String {
    let az = &deploy.azure;
    format!(
        "az aks nodepool add \\\n  --resource-group \"$RESOURCE_GROUP\" \\\n  --cluster-name \"$CLUSTER_NAME\" \\\n  --name {name} \\\n  --mode User \\\n  --node-vm-size {vm} \\\n  --enable-cluster-autoscaler \\\n  --min-count {min} \\\n  --max-count {max} \\\n  --node-count {min} \\\n  --zones 1 2 3 \\\n  --labels tier={tier} \\\n  --node-taints tier={tier}:NoSchedule\n",
        name = pool.name,
        vm = pool.vm_size,
        min = pool.min_nodes,
        max = pool.max_nodes,
        tier = pool.tier,
    )
    .replace("$RESOURCE_GROUP", &az.resource_group)
    .replace("$CLUSTER_NAME", &az.cluster_name)
}

pub(crate) fn script(deploy: &DeployConfig) -> RenderedFile {
    let p = &deploy.node_pools;
    let contents = format!(
        "#!/usr/bin/env bash\n\
# OMEGA node pools. Run once against an AKS cluster that has the KEDA add-on,\n\
# workload identity, the OIDC issuer and the Key Vault CSI driver enabled:\n\
#   az aks update -g {rg} -n {cluster} --enable-keda --enable-workload-identity \\\n\
#     --enable-oidc-issuer\n\
#   az aks enable-addons -g {rg} -n {cluster} -a azure-keyvault-secrets-provider\n\
# Always-on pods select tier={on} and tolerate tier={on}:NoSchedule;\n\
# team pods select tier={dy} and tolerate tier={dy}:NoSchedule.\n\
set -euo pipefail\n\n{a}\n{b}",
        rg = deploy.azure.resource_group,
        cluster = deploy.azure.cluster_name,
        on = p.always_on.tier,
        dy = p.dynamic.tier,
        a = pool_command(deploy, &p.always_on),
        b = pool_command(deploy, &p.dynamic),
    );
    RenderedFile {
        path: PathBuf::from("nodepools.sh"),
        kind: FileKind::Script,
        contents,
    }
}
