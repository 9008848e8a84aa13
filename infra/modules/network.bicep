// The app's private network: Flex Consumption VNet integration, and private endpoints (with their
// DNS zones) so that the app's storage, vault and topic need no public data plane. With VNet integration
// all of the app's outbound traffic leaves through the VNet: a NAT gateway gives it a way out (ARM,
// Entra, Graph, Log Analytics, ticket systems) from one static address that ticket systems can allow.
param location string
param tags object
param vnetName string

// Private DNS zone names differ per cloud: storage and Key Vault follow the cloud's suffixes
// (keyvaultDns is '.vault.<suffix>', its private link zone 'privatelink.vaultcore.<suffix>'); Event Grid
// has no suffix in environment(), so its zone is looked up by cloud name.
var eventGridZones = {
  AzureCloud: 'privatelink.eventgrid.azure.net'
  AzureUSGovernment: 'privatelink.eventgrid.azure.us'
  AzureChinaCloud: 'privatelink.eventgrid.azure.cn'
}
var zones = [
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.queue.${environment().suffixes.storage}'
  'privatelink.table.${environment().suffixes.storage}'
  'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'
  eventGridZones[?environment().name] ?? 'privatelink.eventgrid.azure.net'
]

resource egressAddress 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: '${vnetName}-egress'
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Regional' }
  properties: {
    publicIPAddressVersion: 'IPv4'
    publicIPAllocationMethod: 'Static'
  }
}

resource egress 'Microsoft.Network/natGateways@2024-05-01' = {
  name: '${vnetName}-nat'
  location: location
  tags: tags
  sku: { name: 'Standard' }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [{ id: egressAddress.id }]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: ['10.40.0.0/16'] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: '10.40.1.0/24'
          delegations: [{ name: 'flex', properties: { serviceName: 'Microsoft.App/environments' } }]
          networkSecurityGroup: { id: nsg.id }
          natGateway: { id: egress.id }
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: '10.40.2.0/24'
          privateEndpointNetworkPolicies: 'Enabled'
          networkSecurityGroup: { id: nsg.id }
        }
      }
    ]
  }
}

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${vnetName}-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'deny-internet-inbound'
        properties: {
          priority: 4000
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

resource dnsZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for zone in zones: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (zone, i) in zones: {
    parent: dnsZones[i]
    name: '${vnetName}-link'
    location: 'global'
    properties: {
      registrationEnabled: false
      virtualNetwork: { id: vnet.id }
    }
  }
]

output appSubnetId string = vnet.properties.subnets[0].id
output privateEndpointSubnetId string = vnet.properties.subnets[1].id
output storageDnsZoneIds object = {
  blob: dnsZones[0].id
  queue: dnsZones[1].id
  table: dnsZones[2].id
}
output egressAddress string = egressAddress.properties.ipAddress
output vaultDnsZoneId string = dnsZones[3].id
output eventGridDnsZoneId string = dnsZones[4].id
