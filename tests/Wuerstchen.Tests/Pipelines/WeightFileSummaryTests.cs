using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Pipelines;

namespace Wuerstchen.Tests.Pipelines;

public class WeightFileSummaryTests
{
    [Theory]
    [InlineData("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model", null, null)]
    [InlineData("diffusion_pytorch_model.fp16.safetensors", "diffusion_pytorch_model", "fp16", null)]
    [InlineData("model-00002-of-00003.safetensors", "model", null, 2)]
    [InlineData("diffusion_pytorch_model.bf16-00001-of-00002.safetensors", "diffusion_pytorch_model", "bf16", 1)]
    public void File_names_give_base_variant_and_shard(string file, string baseName, string? variant, int? shard) =>
        Assert.Equal((baseName, variant, shard), WeightFileSummary.ParseName(file));

    [Fact]
    public void Header_gives_parameter_buffer_and_dtype_counts()
    {
        var summary = WeightFileSummary.Read(Reference.Path_("tiny-wuerstchen-prior", "text_encoder", "model.safetensors"));
        Assert.Equal(37, summary.TensorCount);
        Assert.Equal(1_202_136, summary.ParameterCount);
        Assert.Equal(77, summary.BufferCount); // text_model.embeddings.position_ids (I64)
        Assert.Equal(1_202_136, summary.ElementsByDType[SafeTensorsDType.F32]);
        Assert.Equal(4 * 1_202_136 + 8 * 77, summary.DataBytes);
    }
}
