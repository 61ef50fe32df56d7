import { Content, ContentHeader } from '@backstage/core-components';
import { Route, Routes, useParams } from 'react-router-dom';
import { OperationView } from './OperationView';
import { ProvisioningList } from './ProvisioningList';

function OperationRoute() {
  const { id } = useParams();
  return <OperationView operationId={id!} />;
}

/** /appliances/operations: provisionings under way or failed; /appliances/operations/:id: one followed live. */
export function OperationPage() {
  return (
    <Content>
      <ContentHeader title="Operations" />
      <Routes>
        <Route path="/" element={<ProvisioningList />} />
        <Route path=":id" element={<OperationRoute />} />
      </Routes>
    </Content>
  );
}
