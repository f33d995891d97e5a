namespace Wuerstchen.IO.Png;

/// <summary>
/// The seven passes of Adam7 interlacing: each pass is a sub-image made of every <c>XStep</c>-th pixel from
/// column <c>XStart</c> of every <c>YStep</c>-th row from row <c>YStart</c>. A non-interlaced image is one pass
/// with steps of 1.
/// </summary>
internal readonly record struct Adam7Pass(int XStart, int YStart, int XStep, int YStep)
{
    public static readonly Adam7Pass[] Interlaced =
    [
        new(0, 0, 8, 8), new(4, 0, 8, 8), new(0, 4, 4, 8), new(2, 0, 4, 4),
        new(0, 2, 2, 4), new(1, 0, 2, 2), new(0, 1, 1, 2),
    ];

    public static readonly Adam7Pass[] Progressive = [new(0, 0, 1, 1)];

    /// <summary>Pixels per row of this pass in an image <paramref name="width"/> wide (0: the pass is empty and stores no rows).</summary>
    public int Columns(int width) => width > XStart ? (width - XStart + XStep - 1) / XStep : 0;

    public int Rows(int height) => height > YStart ? (height - YStart + YStep - 1) / YStep : 0;
}
